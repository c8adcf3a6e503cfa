using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Neurite.Kernels;

/// <summary>
/// Layer normalization (Ba et al., 2016) of each of <c>rows</c> rows of <c>n</c> values, one fused pass per row:
/// y = x̂·γ + β with x̂ = (x − μ)·ρ, μ the row's mean, ρ = 1/√(σ² + ε) and σ² its biased variance.
/// </summary>
/// <remarks>
/// The backward pass, per row with g = ∂y and g′ = g ⊙ γ: ∂x = ρ·(g′ − mean(g′) − x̂·mean(g′ ⊙ x̂)); ∂γ = Σ_rows g ⊙ x̂ and
/// ∂β = Σ_rows g. Only μ and ρ per row are kept for it. Both passes are compiled optimized at once, as
/// <see cref="Attention"/>'s are.
/// </remarks>
public static class Normalization
{
    /// <summary>
    /// y = the normalized rows of x, scaled by <paramref name="weight"/> and shifted by <paramref name="bias"/> when
    /// given (both or neither, n values each); <paramref name="mean"/> and <paramref name="rstd"/> receive μ and ρ per row.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormForward(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps,
        Span<float> y, Span<float> mean, Span<float> rstd)
    {
        Check(rows, n, x.Length, y.Length, mean.Length, rstd.Length, weight.Length, bias.Length, nameof(LayerNormForward));
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            var output = y.Slice(r * n, n);
            float mu = TensorPrimitives.Sum(row) / n;
            TensorPrimitives.Subtract(row, mu, output);
            float rho = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(output) / n + eps);
            TensorPrimitives.Multiply(output, rho, output);
            if (!weight.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(output, weight, bias, output);
            }
            (mean[r], rstd[r]) = (mu, rho);
        }
    }

    /// <summary>
    /// The gradients of x, γ and β (empty spans are not wanted) from g = ∂y, x and the forward pass's μ and ρ;
    /// <paramref name="scratch"/> holds 2·n floats.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormBackward(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> g, Span<float> dx, Span<float> dWeight, Span<float> dBias, Span<float> scratch)
    {
        Check(rows, n, x.Length, g.Length, mean.Length, rstd.Length, weight.Length, weight.Length, nameof(LayerNormBackward));
        if ((!dx.IsEmpty && dx.Length < (long)rows * n) || (!dWeight.IsEmpty && dWeight.Length < n) || (!dBias.IsEmpty && dBias.Length < n) || scratch.Length < 2 * n)
        {
            throw new ArgumentException($"{nameof(LayerNormBackward)}: for {rows} rows of {n} values, dx needs {(long)rows * n} floats, dWeight and dBias {n}, scratch {2 * n}; got {dx.Length}, {dWeight.Length}, {dBias.Length} and {scratch.Length}.");
        }
        dWeight = dWeight.IsEmpty ? dWeight : dWeight[..n];
        dBias = dBias.IsEmpty ? dBias : dBias[..n];
        dWeight.Clear();
        dBias.Clear();
        var normalized = scratch[..n];
        var scaled = scratch.Slice(n, n);
        for (int r = 0; r < rows; r++)
        {
            var gradient = g.Slice(r * n, n);
            TensorPrimitives.Subtract(x.Slice(r * n, n), mean[r], normalized);
            TensorPrimitives.Multiply(normalized, rstd[r], normalized);
            if (!dWeight.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(gradient, normalized, dWeight, dWeight);
            }
            if (!dBias.IsEmpty)
            {
                TensorPrimitives.Add(dBias, gradient, dBias);
            }
            if (dx.IsEmpty)
            {
                continue;
            }
            ReadOnlySpan<float> gw = gradient;
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(gradient, weight, scaled);
                gw = scaled;
            }
            float a = TensorPrimitives.Sum(gw) / n, b = TensorPrimitives.Dot(gw, normalized) / n;
            var output = dx.Slice(r * n, n);
            // ∂x = ρ·(g′ − x̂·b − a)
            TensorPrimitives.MultiplyAdd(normalized, -b, gw, output);
            TensorPrimitives.Subtract(output, a, output);
            TensorPrimitives.Multiply(output, rstd[r], output);
        }
    }

    private static void Check(int rows, int n, int x, int y, int mean, int rstd, int weight, int bias, string method)
    {
        long count = (long)rows * n;
        if (rows < 0 || n < 1 || x < count || y < count || mean < rows || rstd < rows || (weight != 0 && weight < n) || (weight == 0) != (bias == 0) || (bias != 0 && bias < n))
        {
            throw new ArgumentException(
                $"{method}: {rows} rows of {n} values need x and y of {count} floats, mean and rstd of {rows}, and weight and bias of {n} or both empty; got {x}, {y}, {mean}, {rstd}, {weight} and {bias}.");
        }
    }
}
