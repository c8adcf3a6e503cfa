using Neurite.NN;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Optim;

/// <summary>Hyperparameters of <see cref="Adagrad"/>; the names and defaults of torch.optim.Adagrad.</summary>
/// <param name="Lr">Learning rate γ (default 1e-2).</param>
/// <param name="LrDecay">Learning-rate decay η (default 0).</param>
/// <param name="WeightDecay">L2 penalty λ added to the gradient (default 0).</param>
/// <param name="InitialAccumulatorValue">Starting value of the sum of squares (default 0).</param>
/// <param name="Eps">ε added to the denominator (default 1e-10).</param>
public sealed record AdagradOptions(
    double Lr = 1e-2, double LrDecay = 0, double WeightDecay = 0, double InitialAccumulatorValue = 0, double Eps = 1e-10)
    : OptimizerOptions(Lr)
{
    internal override void Validate()
    {
        base.Validate();
        RequireNonNegative(LrDecay, "lr_decay value", nameof(LrDecay));
        RequireNonNegative(WeightDecay, "weight_decay value", nameof(WeightDecay));
        RequireNonNegative(InitialAccumulatorValue, "initial_accumulator_value value", nameof(InitialAccumulatorValue));
        RequireNonNegative(Eps, "epsilon value", nameof(Eps));
    }
}

/// <summary>
/// Adagrad (torch.optim.Adagrad, PyTorch 1.13), from Duchi, Hazan and Singer, "Adaptive Subgradient
/// Methods for Online Learning and Stochastic Optimization" (JMLR 2011). Per step t = 1, 2, …:
/// <code>
/// γ̃ ← γ / (1 + (t − 1)·η)
/// if λ ≠ 0:  gₜ ← gₜ + λ·θₜ₋₁
/// sₜ ← sₜ₋₁ + gₜ²               (s₀ = initial_accumulator_value)
/// θₜ ← θₜ₋₁ − γ̃·gₜ / (√sₜ + ε)
/// </code>
/// </summary>
/// <remarks>The buffer is named sum, as in PyTorch.</remarks>
public sealed class Adagrad : Optimizer
{
    private const int Sum = 0;

    public Adagrad(IEnumerable<Parameter> parameters, AdagradOptions? options = null)
        : this([new ParameterGroup(parameters)], options)
    {
    }

    public Adagrad(IEnumerable<ParameterGroup> groups, AdagradOptions? defaults = null)
        : base(groups, defaults ?? new AdagradOptions(), ["sum"])
    {
    }

    protected override void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options)
    {
        var o = (AdagradOptions)options;
        int n = parameter.Length;
        if (o.WeightDecay != 0)
        {
            var decayed = Scratch(0, n);
            TensorPrimitives.FusedMultiplyAdd(parameter, (float)o.WeightDecay, grad, decayed);
            grad = decayed;
        }
        double clr = o.Lr / (1 + (state.Step - 1) * o.LrDecay);

        // state_sum.addcmul_(grad, grad, value=1) (a fused s + g·g); std = state_sum.sqrt().add_(eps)
        var sum = state.Buffer(Sum, (float)o.InitialAccumulatorValue);
        TensorPrimitives.FusedMultiplyAdd(grad, grad, sum, sum);
        var std = Scratch(1, n);
        TensorPrimitives.Sqrt(sum, std);
        TensorPrimitives.Add(std, (float)o.Eps, std);
        // param.addcdiv_(grad, std, value=-clr): θ + ((−γ̃)·g) / std.
        var step = Scratch(2, n);
        TensorPrimitives.Multiply(grad, (float)-clr, step);
        TensorPrimitives.Divide(step, std, step);
        TensorPrimitives.Add(parameter, step, parameter);
    }
}
