using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// Inverted dropout (Srivastava et al., 2014), as torch.nn.Dropout: in training each element is
/// zeroed with probability p and the survivors are scaled by 1/(1 − p), so that evaluation needs
/// no rescaling; in evaluation mode it is the identity.
/// </summary>
/// <remarks>
/// The masks come from the generator given to the constructor, registered with the module (see
/// <see cref="Module.Generators"/>), so a trainer can reseed it and a run is reproducible from its seed.
/// </remarks>
public sealed class Dropout : Module
{
    private readonly Generator _rng;

    public Dropout(float p, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentException($"Dropout: p must be in [0, 1); got {p}.", nameof(p));
        }
        P = p;
        _rng = RegisterGenerator(rng);
    }

    /// <summary>The probability of zeroing an element.</summary>
    public float P { get; }

    public override Tensor Forward(Tensor x) => IsTraining ? Ops.Dropout(x, P, _rng) : x;

    /// <summary>x with each element zeroed with probability <paramref name="p"/> (a mask drawn from <paramref name="rng"/>) and the rest scaled by 1/(1 − p).</summary>
    internal static Tensor Apply(Tensor x, float p, Generator rng) => Ops.Dropout(x, p, rng);

    public override string Describe() => $"Dropout(p={P})";
}

/// <summary>
/// Channel dropout (Tompson et al., 2015), as torch.nn.Dropout2d: in training each channel of each
/// sample — a whole feature map of an [N, C, H, W] input, or a whole row of an [N, C, L] one — is
/// zeroed with probability p and the surviving channels are scaled by 1/(1 − p); in evaluation mode
/// it is the identity. Neighbouring values of a feature map are correlated, so dropping them one by
/// one (as <see cref="Dropout"/> does) hardly regularizes.
/// </summary>
/// <remarks>The masks come from the generator given to the constructor, registered as <see cref="Dropout"/>'s is.</remarks>
public sealed class Dropout2d : Module
{
    private readonly Generator _rng;

    public Dropout2d(float p, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentException($"Dropout2d: p must be in [0, 1); got {p}.", nameof(p));
        }
        P = p;
        _rng = RegisterGenerator(rng);
    }

    /// <summary>The probability of zeroing a channel.</summary>
    public float P { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{Describe()}: expected input [N, C, H, W] or [N, C, L]; got {Shapes.Format(x.Shape)}.");
        }
        if (!IsTraining || P == 0)
        {
            return x;
        }
        // One draw per (sample, channel), broadcast over the channel's values: [N, C, 1, 1] or [N, C, 1].
        int[] maskShape = x.Rank == 4 ? [x.Shape[0], x.Shape[1], 1, 1] : [x.Shape[0], x.Shape[1], 1];
        var mask = Tensor.Bernoulli(maskShape, 1f - P, _rng);
        return Ops.Mul(x, Ops.Mul(mask, 1f / (1f - P)));
    }

    public override string Describe() => $"Dropout2d(p={P})";
}

/// <summary>x + f(x): a skip connection around <see cref="Block"/> (He et al., 2016).</summary>
public sealed class Residual : Module
{
    public Residual(Module block) => Block = RegisterModule("block", block);

    public Module Block { get; }

    public override Tensor Forward(Tensor x)
    {
        var fx = Block.Call(x);
        if (!Shapes.SameShape(fx.Shape, x.Shape))
        {
            throw new ArgumentException($"Residual: the block maps {Shapes.Format(x.Shape)} to {Shapes.Format(fx.Shape)}; x + f(x) needs the same shape.");
        }
        return Ops.Add(x, fx);
    }
}
