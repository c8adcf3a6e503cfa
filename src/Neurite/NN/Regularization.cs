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
