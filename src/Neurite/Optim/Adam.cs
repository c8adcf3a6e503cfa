using Neurite.Kernels;
using Neurite.NN;

namespace Neurite.Optim;

/// <summary>Hyperparameters of <see cref="Adam"/>; the names and defaults of torch.optim.Adam.</summary>
/// <param name="Lr">Learning rate γ (default 1e-3).</param>
/// <param name="Beta1">Decay β₁ of the running mean of the gradient (default 0.9), in [0, 1).</param>
/// <param name="Beta2">Decay β₂ of the running mean of its square (default 0.999), in [0, 1).</param>
/// <param name="Eps">ε added to the denominator (default 1e-8).</param>
/// <param name="WeightDecay">L2 penalty λ added to the gradient (default 0).</param>
/// <param name="Amsgrad">Use the maximum of the second moments so far (AMSGrad).</param>
public sealed record AdamOptions(
    double Lr = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, double WeightDecay = 0, bool Amsgrad = false)
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
/// Adam (torch.optim.Adam, PyTorch 1.13), from Kingma and Ba, "Adam: A Method for Stochastic
/// Optimization" (ICLR 2015); AMSGrad from Reddi et al., "On the Convergence of Adam and Beyond"
/// (ICLR 2018). Per step t = 1, 2, … with gradient gₜ and parameter θ:
/// <code>
/// if λ ≠ 0:  gₜ ← gₜ + λ·θₜ₋₁
/// mₜ ← β₁·mₜ₋₁ + (1 − β₁)·gₜ
/// vₜ ← β₂·vₜ₋₁ + (1 − β₂)·gₜ²
/// v̂ ← max(v̂, vₜ) if amsgrad, else vₜ
/// θₜ ← θₜ₋₁ − (γ / (1 − β₁ᵗ))·mₜ / (√v̂ / √(1 − β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <remarks>
/// The bias corrections are computed in double and applied as PyTorch's single-tensor code does:
/// ε is added after dividing √v̂ by √(1 − β₂ᵗ), not to the corrected mean. Buffers: exp_avg (m),
/// exp_avg_sq (v), max_exp_avg_sq (v̂, with amsgrad).
/// </remarks>
public sealed class Adam : Optimizer
{
    public Adam(IEnumerable<Parameter> parameters, AdamOptions? options = null)
        : this([new ParameterGroup(parameters)], options)
    {
    }

    public Adam(IEnumerable<ParameterGroup> groups, AdamOptions? defaults = null)
        : base(groups, defaults ?? new AdamOptions(), BufferNames)
    {
    }

    internal static string[] BufferNames => ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    protected override void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options)
    {
        var o = (AdamOptions)options;
        Moments(parameter, grad, state, o.Amsgrad, o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);
    }

    /// <summary>
    /// The update, shared with AdamW (which passes no weight decay): updates m, v (and v̂ with amsgrad) in the state
    /// and θ in place, in one pass (<see cref="OptimizerSteps.Adam"/>).
    /// </summary>
    internal static void Moments(
        Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, bool amsgrad,
        double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        // PyTorch's step is a float tensor read back with .item(), and beta ** step is a double power.
        double t = state.Step;
        double biasCorrection1 = 1 - Math.Pow(beta1, t);
        double biasCorrection2 = 1 - Math.Pow(beta2, t);
        var scalars = new OptimizerSteps.AdamScalars(
            Beta1: (float)beta1, OneMinusBeta1: (float)(1 - beta1), Beta2: (float)beta2, OneMinusBeta2: (float)(1 - beta2),
            BiasCorrection2Sqrt: (float)Math.Sqrt(biasCorrection2), Eps: (float)eps, NegativeStepSize: (float)-(lr / biasCorrection1),
            WeightDecay: (float)weightDecay);
        OptimizerSteps.Adam(parameter, grad, state.Buffer(0), state.Buffer(1), amsgrad ? state.Buffer(2) : [], scalars);
    }
}
