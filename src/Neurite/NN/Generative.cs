using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A module whose forward pass adds a term to the objective that trains it, as Keras's <c>add_loss</c>: the VAE's
/// KL divergence (<see cref="GaussianSample"/>). A trainer adds every such term to the loss of each batch.
/// </summary>
public interface IAddsLoss
{
    /// <summary>The term of the last forward pass (a differentiable scalar), or null when none is pending; taking it clears it.</summary>
    Tensor? TakeAddedLoss();
}

/// <summary>
/// Adds Gaussian noise of standard deviation <see cref="Std"/> to its input in training mode and passes it unchanged in
/// evaluation mode (Keras's GaussianNoise): in front of an encoder it makes a denoising autoencoder (Vincent et al.,
/// 2008), which reconstructs the clean input from a corrupted one.
/// </summary>
/// <remarks>The noise comes from the generator given to the constructor, registered as <see cref="Dropout"/>'s is.</remarks>
public sealed class GaussianNoise : Module
{
    private readonly Generator _rng;

    /// <exception cref="ArgumentException">std is negative or not finite.</exception>
    public GaussianNoise(float std, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(std >= 0 && float.IsFinite(std)))
        {
            throw new ArgumentException($"GaussianNoise: std must be finite and ≥ 0; got {std}.", nameof(std));
        }
        Std = std;
        _rng = RegisterGenerator(rng);
    }

    /// <summary>The standard deviation of the noise.</summary>
    public float Std { get; }

    public override Tensor Forward(Tensor x) =>
        IsTraining && Std > 0 ? Ops.Add(x, Tensor.Normal(x.Shape, 0, Std, _rng)) : x;

    public override string Describe() => $"GaussianNoise(std={Std})";
}

/// <summary>
/// The sampling node of a variational autoencoder (Kingma &amp; Welling, 2014): from the encoder's mean μ and log-variance
/// log σ² (two inputs of one shape) it draws the code z = μ + σ ⊙ ε, ε ~ N(0, I), so that z is a differentiable function
/// of μ and log σ² (the reparameterization trick, their eq. 10), and it adds the KL divergence of N(μ, σ²) from the prior
/// N(0, I) to the objective (<see cref="IAddsLoss"/>; their appendix B):
/// KL = −½ Σⱼ (1 + log σⱼ² − μⱼ² − σⱼ²), summed over the code and averaged over the batch.
/// </summary>
/// <remarks>
/// In evaluation mode z = μ, deterministic, unless <see cref="SampleInEval"/> is set (an ELBO estimated on held-out
/// data samples, as in training). ε comes from the generator given to the constructor, registered as
/// <see cref="Dropout"/>'s is, so a trainer reseeds it every epoch.
/// </remarks>
public sealed class GaussianSample : Module, IAddsLoss
{
    private readonly Generator _rng;
    private Tensor? _kl;

    public GaussianSample(Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _rng = RegisterGenerator(rng);
    }

    /// <summary>Whether evaluation mode samples z as training does, rather than returning μ.</summary>
    public bool SampleInEval { get; set; }

    /// <exception cref="ArgumentException">Always: the node takes μ and log σ².</exception>
    public override Tensor Forward(Tensor x) =>
        throw new ArgumentException("GaussianSample: takes two inputs, the mean μ and the log-variance log σ², got one.", nameof(x));

    /// <exception cref="ArgumentException">There are not two inputs of one shape.</exception>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != 2 || !Shapes.SameShape(inputs[0].Shape, inputs[1].Shape))
        {
            throw new ArgumentException(
                $"GaussianSample: takes μ and log σ² of one shape, got {string.Join(" and ", inputs.Select(input => Shapes.Format(input.Shape)))}.", nameof(inputs));
        }
        var (mu, logVar) = (inputs[0], inputs[1]);
        _kl = KlDivergence(mu, logVar);
        return IsTraining || SampleInEval ? Reparameterize(mu, logVar, Tensor.Normal(mu.Shape, 0, 1, _rng)) : mu;
    }

    /// <inheritdoc/>
    public Tensor? TakeAddedLoss()
    {
        var kl = _kl;
        _kl = null;
        return kl;
    }

    /// <summary>z = μ + exp(½ log σ²) ⊙ ε, differentiable in μ and log σ².</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor epsilon) =>
        Ops.Add(mu, Ops.Mul(Ops.Exp(Ops.Mul(logVar, 0.5f)), epsilon));

    /// <summary>KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²) over each sample's values, averaged over the batch (axis 0).</summary>
    public static Tensor KlDivergence(Tensor mu, Tensor logVar)
    {
        var terms = Ops.Sub(Ops.Sub(Ops.Add(logVar, 1f), Ops.Mul(mu, mu)), Ops.Exp(logVar));
        return Ops.Mul(Ops.Sum(terms), -0.5f / mu.Shape[0]);
    }
}
