using System.Globalization;
using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// L1 and L2 penalties to add to a loss, as seed 003 writes them:
/// L_total = L_task + (λ/2)·Σₗ‖W⁽ˡ⁾‖²_F for L2, and L_task + λ·Σ|W| for L1. Both are differentiable
/// scalars, so backward adds their gradients (λ·W and λ·sign(W)) to the task's.
/// </summary>
/// <remarks>
/// The L2 gradient λ·W is what SGD's weight_decay = λ adds, so the two give the same step; Adam's
/// weight_decay does the same to Adam's gradient, unlike AdamW's decoupled decay.
/// </remarks>
public static class Penalties
{
    /// <summary>λ·Σ|w| over every element of the given parameters.</summary>
    public static Tensor L1(IEnumerable<Tensor> parameters, double lambda) =>
        Penalty(parameters, lambda, nameof(L1), p => Ops.Sum(Ops.Abs(p)), 1);

    /// <summary>(λ/2)·Σw² over every element of the given parameters.</summary>
    public static Tensor L2(IEnumerable<Tensor> parameters, double lambda) =>
        Penalty(parameters, lambda, nameof(L2), p => Ops.Sum(p * p), 0.5);

    /// <summary>
    /// The weight matrices W⁽ˡ⁾ of a module, the parameters the seeds penalize: those named
    /// "weight" with two or more dimensions. Biases and normalization gains are left out.
    /// </summary>
    public static IEnumerable<Parameter> Weights(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.NamedParameters()
            .Where(entry => (entry.Key == "weight" || entry.Key.EndsWith(".weight", StringComparison.Ordinal)) && entry.Value.Rank >= 2)
            .Select(entry => entry.Value);
    }

    private static Tensor Penalty(IEnumerable<Tensor> parameters, double lambda, string name, Func<Tensor, Tensor> term, double scale)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(lambda >= 0 && double.IsFinite(lambda)))
        {
            throw new ArgumentException(
                $"{name} penalty: lambda must be finite and non-negative; got {lambda.ToString(CultureInfo.InvariantCulture)}.", nameof(lambda));
        }
        Tensor? total = null;
        foreach (var p in parameters)
        {
            var t = term(p);
            total = total is null ? t : total + t;
        }
        return (total ?? Tensor.Scalar(0)) * (float)(scale * lambda);
    }
}
