using System.Numerics.Tensors;

namespace Neurite.Kernels;

/// <summary>
/// Reductions along the middle axis of x viewed as [outer, n, inner]: destination is [outer, inner].
/// </summary>
/// <remarks>
/// With inner = 1 each output is a reduction of one contiguous row (one TensorPrimitives call);
/// otherwise rows of length inner are combined element-wise, which is also vectorized.
/// </remarks>
public static class Reductions
{
    /// <summary>destination[o, j] = Σᵢ x[o, i, j].</summary>
    public static void Sum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination)
    {
        Check(x, outer, n, inner, destination, nameof(Sum));
        for (int o = 0; o < outer; o++)
        {
            var block = x.Slice(o * n * inner, n * inner);
            if (inner == 1)
            {
                destination[o] = TensorPrimitives.Sum(block);
                continue;
            }
            var output = destination.Slice(o * inner, inner);
            output.Clear();
            for (int i = 0; i < n; i++)
            {
                TensorPrimitives.Add(output, block.Slice(i * inner, inner), output);
            }
        }
    }

    /// <summary>destination[o, j] = maxᵢ x[o, i, j] (NaN if any is NaN); n must be positive.</summary>
    public static void Max(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination) =>
        Extremum(x, outer, n, inner, destination, isMax: true);

    /// <summary>destination[o, j] = minᵢ x[o, i, j] (NaN if any is NaN); n must be positive.</summary>
    public static void Min(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination) =>
        Extremum(x, outer, n, inner, destination, isMax: false);

    private static void Extremum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination, bool isMax)
    {
        Check(x, outer, n, inner, destination, isMax ? nameof(Max) : nameof(Min));
        if (n == 0)
        {
            throw new ArgumentException($"{(isMax ? nameof(Max) : nameof(Min))}: cannot reduce an axis of size 0.");
        }
        for (int o = 0; o < outer; o++)
        {
            var block = x.Slice(o * n * inner, n * inner);
            if (inner == 1)
            {
                destination[o] = isMax ? TensorPrimitives.Max(block) : TensorPrimitives.Min(block);
                continue;
            }
            var output = destination.Slice(o * inner, inner);
            block[..inner].CopyTo(output);
            for (int i = 1; i < n; i++)
            {
                var row = block.Slice(i * inner, inner);
                if (isMax)
                {
                    TensorPrimitives.Max(output, row, output);
                }
                else
                {
                    TensorPrimitives.Min(output, row, output);
                }
            }
        }
    }

    /// <summary>
    /// destination[o, j] = the first i where x[o, i, j] is largest (or smallest); a NaN counts as
    /// the extreme value, as in torch.argmax. n must be positive.
    /// </summary>
    public static void ArgExtremum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination, bool isMax)
    {
        Check(x, outer, n, inner, destination, isMax ? "ArgMax" : "ArgMin");
        if (n == 0)
        {
            throw new ArgumentException($"{(isMax ? "ArgMax" : "ArgMin")}: cannot reduce an axis of size 0.");
        }
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < inner; j++)
            {
                int baseIndex = o * n * inner + j;
                int best = 0;
                float bestValue = x[baseIndex];
                for (int i = 1; i < n && !float.IsNaN(bestValue); i++)
                {
                    float v = x[baseIndex + i * inner];
                    if (float.IsNaN(v) || (isMax ? v > bestValue : v < bestValue))
                    {
                        best = i;
                        bestValue = v;
                    }
                }
                destination[o * inner + j] = best;
            }
        }
    }

    private static void Check(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination, string op)
    {
        if (outer < 0 || n < 0 || inner < 0 || (long)outer * n * inner > x.Length || (long)outer * inner > destination.Length)
        {
            throw new ArgumentException(
                $"{op}: [outer {outer}, n {n}, inner {inner}] does not fit an input of {x.Length} and a destination of {destination.Length} elements.");
        }
    }
}
