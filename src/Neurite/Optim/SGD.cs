using Neurite.Kernels;
using Neurite.NN;

namespace Neurite.Optim;

/// <summary>Hyperparameters of <see cref="SGD"/>; the names and defaults of torch.optim.SGD.</summary>
/// <param name="Lr">Learning rate γ (required, as in PyTorch).</param>
/// <param name="Momentum">Momentum factor μ (default 0: none).</param>
/// <param name="Dampening">Dampening τ of the momentum (default 0).</param>
/// <param name="WeightDecay">L2 penalty λ added to the gradient (default 0).</param>
/// <param name="Nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
public sealed record SGDOptions(double Lr, double Momentum = 0, double Dampening = 0, double WeightDecay = 0, bool Nesterov = false)
    : OptimizerOptions(Lr)
{
    internal override OptimizerOptions WithMomentum(double momentum) => this with { Momentum = momentum };

    internal override void Validate()
    {
        base.Validate();
        RequireNonNegative(Momentum, "momentum value", nameof(Momentum));
        RequireNonNegative(WeightDecay, "weight_decay value", nameof(WeightDecay));
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
        {
            throw new ArgumentException(
                $"Nesterov momentum requires a momentum and zero dampening (momentum {Momentum}, dampening {Dampening})", nameof(Nesterov));
        }
    }
}

/// <summary>
/// Stochastic gradient descent, optionally with momentum (torch.optim.SGD, PyTorch 1.13). Per step,
/// with gradient gₜ and parameter θ:
/// <code>
/// if λ ≠ 0:  gₜ ← gₜ + λ·θₜ₋₁
/// if μ ≠ 0:  bₜ ← gₜ on the first step, else μ·bₜ₋₁ + (1 − τ)·gₜ
///            gₜ ← gₜ + μ·bₜ   if nesterov,  else  gₜ ← bₜ
/// θₜ ← θₜ₋₁ − γ·gₜ
/// </code>
/// </summary>
/// <remarks>
/// Nesterov momentum is from Sutskever et al., "On the importance of initialization and momentum
/// in deep learning" (ICML 2013). As PyTorch, momentum is applied as b ← μ·b + g and θ ← θ − γ·b,
/// which differs from Sutskever et al.'s v ← μ·v + γ·g, θ ← θ − v when the learning rate changes.
/// The buffer is named momentum_buffer in <see cref="Optimizer.StateDict"/>.
/// </remarks>
public sealed class SGD : Optimizer
{
    private const int MomentumBuffer = 0;

    public SGD(IEnumerable<Parameter> parameters, SGDOptions options)
        : this([new ParameterGroup(parameters)], options)
    {
    }

    public SGD(IEnumerable<ParameterGroup> groups, SGDOptions defaults)
        : base(groups, defaults, ["momentum_buffer"])
    {
    }

    protected override void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options)
    {
        var o = (SGDOptions)options;
        // NOTE: the first buffer is the gradient itself, not (1 − τ)·g: PyTorch clones d_p.
        bool firstStep = o.Momentum != 0 && state.Buffers[MomentumBuffer] is null;
        Span<float> buffer = o.Momentum != 0 ? state.Buffer(MomentumBuffer) : [];
        OptimizerSteps.Sgd(parameter, grad, buffer, firstStep,
            (float)o.Lr, (float)o.Momentum, (float)o.Dampening, (float)o.WeightDecay, o.Nesterov);
    }
}
