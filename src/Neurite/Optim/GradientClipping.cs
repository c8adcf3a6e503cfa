using System.Globalization;
using Neurite.NN;
using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Optim;

/// <summary>
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: applied to the
/// parameters' Grad in place, between backward and the optimizer step. Parameters without a
/// gradient are skipped.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the p-norm of all the
    /// gradients taken as one vector (p = <paramref name="normType"/>; ∞ for the largest magnitude).
    /// </summary>
    /// <returns>The total norm before clipping (∞ or NaN when a gradient holds one; then the
    /// gradients become NaN, as in PyTorch without error_if_nonfinite).</returns>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0 && double.IsFinite(maxNorm)))
        {
            throw Invalid(nameof(maxNorm), maxNorm, "finite and non-negative");
        }
        if (!(normType > 0))
        {
            throw Invalid(nameof(normType), normType, "positive (or infinity)");
        }
        var grads = Gradients(parameters);
        if (grads.Count == 0)
        {
            return 0;
        }
        // PyTorch takes the norm of each gradient (in float32), then the norm of those norms.
        float total;
        if (double.IsPositiveInfinity(normType))
        {
            total = 0;
            foreach (var g in grads.Where(g => g.Count > 0))
            {
                // Math.Max, unlike a comparison, keeps a NaN.
                total = Math.Max(total, Math.Abs(TensorPrimitives.MaxMagnitude(g.Data)));
            }
        }
        else
        {
            double sum = 0;
            foreach (var g in grads)
            {
                sum += Math.Pow(PNorm(g.Data, normType), normType);
            }
            total = (float)Math.Pow(sum, 1 / normType);
        }
        float coefficient = (float)maxNorm / (total + 1e-6f);
        if (coefficient < 1 || float.IsNaN(coefficient))
        {
            foreach (var g in grads)
            {
                TensorPrimitives.Multiply(g.Data, coefficient, g.Data);
            }
        }
        return total;
    }

    /// <summary>Clamps every gradient element to [−clipValue, clipValue].</summary>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0 && double.IsFinite(clipValue)))
        {
            throw Invalid(nameof(clipValue), clipValue, "finite and non-negative");
        }
        float limit = (float)clipValue;
        foreach (var g in Gradients(parameters))
        {
            TensorPrimitives.Max(g.Data, -limit, g.Data);
            TensorPrimitives.Min(g.Data, limit, g.Data);
        }
    }

    /// <summary>The p-norm of one gradient, accumulated in double: (Σ|gᵢ|ᵖ)^(1/p).</summary>
    private static double PNorm(ReadOnlySpan<float> g, double p)
    {
        if (p == 2)
        {
            return TensorPrimitives.Norm(g);
        }
        double sum = 0;
        foreach (float v in g)
        {
            sum += p == 1 ? Math.Abs(v) : Math.Pow(Math.Abs(v), p);
        }
        return p == 1 ? sum : Math.Pow(sum, 1 / p);
    }

    private static List<Tensor> Gradients(IEnumerable<Parameter> parameters) =>
        [.. parameters.Select(p => p.GradInternal).OfType<Tensor>()];

    private static ArgumentException Invalid(string name, double value, string what) =>
        new($"Gradient clipping: {name} must be {what}; got {value.ToString(CultureInfo.InvariantCulture)}.", name);
}
