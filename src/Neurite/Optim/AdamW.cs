using Neurite.NN;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Optim;

/// <summary>Hyperparameters of <see cref="AdamW"/>; the names and defaults of torch.optim.AdamW.</summary>
/// <param name="Lr">Learning rate γ (default 1e-3).</param>
/// <param name="Beta1">Decay β₁ of the running mean of the gradient (default 0.9), in [0, 1).</param>
/// <param name="Beta2">Decay β₂ of the running mean of its square (default 0.999), in [0, 1).</param>
/// <param name="Eps">ε added to the denominator (default 1e-8).</param>
/// <param name="WeightDecay">Decoupled weight decay λ (default 1e-2, as PyTorch).</param>
/// <param name="Amsgrad">Use the maximum of the second moments so far (AMSGrad).</param>
public sealed record AdamWOptions(
    double Lr = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, double WeightDecay = 1e-2, bool Amsgrad = false)
    : OptimizerOptions(Lr)
{
    internal override OptimizerOptions WithMomentum(double momentum) => this with { Beta1 = momentum };

    internal override void Validate()
    {
        base.Validate();
        ValidateAdam(Eps, Beta1, Beta2, WeightDecay);
    }
}

/// <summary>
/// Adam with decoupled weight decay (torch.optim.AdamW, PyTorch 1.13), from Loshchilov and Hutter,
/// "Decoupled Weight Decay Regularization" (ICLR 2019). Per step t = 1, 2, …:
/// <code>
/// θₜ₋₁ ← θₜ₋₁·(1 − γλ)          (the decay never enters the moments)
/// mₜ ← β₁·mₜ₋₁ + (1 − β₁)·gₜ
/// vₜ ← β₂·vₜ₋₁ + (1 − β₂)·gₜ²
/// v̂ ← max(v̂, vₜ) if amsgrad, else vₜ
/// θₜ ← θₜ₋₁ − (γ / (1 − β₁ᵗ))·mₜ / (√v̂ / √(1 − β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <remarks>The moments and bias corrections are exactly <see cref="Adam"/>'s; so are the buffer names.</remarks>
public sealed class AdamW : Optimizer
{
    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions? options = null)
        : this([new ParameterGroup(parameters)], options)
    {
    }

    public AdamW(IEnumerable<ParameterGroup> groups, AdamWOptions? defaults = null)
        : base(groups, defaults ?? new AdamWOptions(), Adam.BufferNames)
    {
    }

    protected override void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options)
    {
        var o = (AdamWOptions)options;
        // param.mul_(1 - lr * weight_decay), which PyTorch does even when λ = 0 (a multiply by 1).
        TensorPrimitives.Multiply(parameter, (float)(1 - o.Lr * o.WeightDecay), parameter);
        Adam.Moments(parameter, grad, state, o.Amsgrad, o.Lr, o.Beta1, o.Beta2, o.Eps, weightDecay: 0);
    }
}
