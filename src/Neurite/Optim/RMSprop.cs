using Neurite.NN;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Optim;

/// <summary>Hyperparameters of <see cref="RMSprop"/>; the names and defaults of torch.optim.RMSprop.</summary>
/// <param name="Lr">Learning rate γ (default 1e-2).</param>
/// <param name="Alpha">Smoothing constant α of the mean square (default 0.99).</param>
/// <param name="Eps">ε added to the denominator (default 1e-8).</param>
/// <param name="WeightDecay">L2 penalty λ added to the gradient (default 0).</param>
/// <param name="Momentum">Momentum factor μ (default 0: none).</param>
/// <param name="Centered">Divide by an estimate of the gradient's variance instead of its mean square.</param>
public sealed record RMSpropOptions(
    double Lr = 1e-2, double Alpha = 0.99, double Eps = 1e-8, double WeightDecay = 0, double Momentum = 0, bool Centered = false)
    : OptimizerOptions(Lr)
{
    internal override OptimizerOptions WithMomentum(double momentum) => this with { Momentum = momentum };

    internal override void Validate()
    {
        base.Validate();
        RequireNonNegative(Eps, "epsilon value", nameof(Eps));
        RequireNonNegative(Momentum, "momentum value", nameof(Momentum));
        RequireNonNegative(WeightDecay, "weight_decay value", nameof(WeightDecay));
        RequireNonNegative(Alpha, "alpha value", nameof(Alpha));
    }
}

/// <summary>
/// RMSprop (torch.optim.RMSprop, PyTorch 1.13), proposed by G. Hinton in his Coursera course
/// "Neural Networks for Machine Learning" (lecture 6e); the centered version from Graves,
/// "Generating Sequences With Recurrent Neural Networks" (2013). Per step:
/// <code>
/// if λ ≠ 0:  gₜ ← gₜ + λ·θₜ₋₁
/// vₜ ← α·vₜ₋₁ + (1 − α)·gₜ²
/// ṽ ← vₜ, or if centered: ḡₜ ← α·ḡₜ₋₁ + (1 − α)·gₜ and ṽ ← vₜ − ḡₜ²
/// if μ &gt; 0:  bₜ ← μ·bₜ₋₁ + gₜ / (√ṽ + ε),  θₜ ← θₜ₋₁ − γ·bₜ
/// else:       θₜ ← θₜ₋₁ − γ·gₜ / (√ṽ + ε)
/// </code>
/// </summary>
/// <remarks>
/// ε is added outside the square root, as in PyTorch (Keras adds it inside). Buffers: square_avg (v),
/// momentum_buffer (b), grad_avg (ḡ), all starting at zero.
/// </remarks>
public sealed class RMSprop : Optimizer
{
    private const int SquareAvg = 0, MomentumBuffer = 1, GradAvg = 2;

    public RMSprop(IEnumerable<Parameter> parameters, RMSpropOptions? options = null)
        : this([new ParameterGroup(parameters)], options)
    {
    }

    public RMSprop(IEnumerable<ParameterGroup> groups, RMSpropOptions? defaults = null)
        : base(groups, defaults ?? new RMSpropOptions(), ["square_avg", "momentum_buffer", "grad_avg"])
    {
    }

    protected override void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options)
    {
        var o = (RMSpropOptions)options;
        int n = parameter.Length;
        if (o.WeightDecay != 0)
        {
            var decayed = Scratch(0, n);
            TensorPrimitives.FusedMultiplyAdd(parameter, (float)o.WeightDecay, grad, decayed);
            grad = decayed;
        }
        var average = Scratch(1, n);
        var step = Scratch(2, n);

        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha): v + ((1 − α)·g)·g, the last multiply-add
        // fused, as in PyTorch's CPU kernel.
        var squareAvg = state.Buffer(SquareAvg);
        TensorPrimitives.Multiply(squareAvg, (float)o.Alpha, squareAvg);
        TensorPrimitives.Multiply(grad, (float)(1 - o.Alpha), step);
        TensorPrimitives.FusedMultiplyAdd(step, grad, squareAvg, squareAvg);

        if (o.Centered)
        {
            // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha); avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            var gradAvg = state.Buffer(GradAvg);
            TensorPrimitives.Multiply(gradAvg, (float)o.Alpha, gradAvg);
            TensorPrimitives.FusedMultiplyAdd(grad, (float)(1 - o.Alpha), gradAvg, gradAvg);
            TensorPrimitives.Negate(gradAvg, average);
            TensorPrimitives.FusedMultiplyAdd(average, gradAvg, squareAvg, average);
            TensorPrimitives.Sqrt(average, average);
        }
        else
        {
            TensorPrimitives.Sqrt(squareAvg, average);
        }
        TensorPrimitives.Add(average, (float)o.Eps, average);

        if (o.Momentum > 0)
        {
            // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
            var buffer = state.Buffer(MomentumBuffer);
            TensorPrimitives.Multiply(buffer, (float)o.Momentum, buffer);
            TensorPrimitives.Divide(grad, average, step);
            TensorPrimitives.Add(buffer, step, buffer);
            TensorPrimitives.FusedMultiplyAdd(buffer, (float)-o.Lr, parameter, parameter);
        }
        else
        {
            // param.addcdiv_(grad, avg, value=-lr): θ + ((−γ)·g) / avg.
            TensorPrimitives.Multiply(grad, (float)-o.Lr, step);
            TensorPrimitives.Divide(step, average, step);
            TensorPrimitives.Add(parameter, step, parameter);
        }
    }
}
