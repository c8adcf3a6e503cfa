using Neurite.Autograd;

namespace Neurite.Tensors;

public partial class Tensor
{
    private bool _requiresGrad;
    private List<Func<Tensor, Tensor?>>? _hooks;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves (tensors no op produced);
    /// an op's result requires grad when any of its inputs does and grad mode is on.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null && !value)
            {
                throw new InvalidOperationException(
                    $"RequiresGrad: the result of {GradFn.Name} is part of a graph; use Detach() to cut it out.");
            }
            _requiresGrad = value;
        }
    }

    private Tensor? _grad;
    private Tensor? _spareGrad;
    private bool _seen;

    /// <summary>The accumulated gradient of a leaf (or of a tensor that called <see cref="RetainGrad"/>).</summary>
    /// <remarks>
    /// Setting it to null keeps the old gradient's tensor for the next backward to write into, unless code outside
    /// the library has seen it (read it through this property, or set it): a training loop that only calls
    /// ZeroGrad, Backward and Step then allocates no new gradient arrays after its first step.
    /// </remarks>
    public Tensor? Grad
    {
        get
        {
            if (_grad is not null)
            {
                _grad._seen = true;
            }
            return _grad;
        }
        set
        {
            if (value is not null)
            {
                value._seen = true;
            }
            GradInternal = value;
        }
    }

    /// <summary>The gradient as the library reads and sets it: without marking it as seen outside.</summary>
    internal Tensor? GradInternal
    {
        get => _grad;
        set
        {
            if (value is null && _grad is { _seen: false } old)
            {
                _spareGrad = old;
            }
            _grad = value;
        }
    }

    /// <summary>
    /// A tensor shaped like this one to write a new gradient into: the unseen gradient that the last clearing of
    /// <see cref="Grad"/> set aside, or a new one. Its contents are unspecified.
    /// </summary>
    internal Tensor GradientBuffer()
    {
        var spare = _spareGrad;
        _spareGrad = null;
        return spare is not null && Shapes.SameShape(spare.Shape, Shape) ? spare : Empty(Shape);
    }

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True when no recorded op produced this tensor.</summary>
    public bool IsLeaf => GradFn is null;

    internal bool RetainsGrad { get; private set; }

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> after Backward.</summary>
    public Tensor RetainGrad()
    {
        RetainsGrad = true;
        return this;
    }

    /// <summary>
    /// Calls <paramref name="hook"/> with this tensor's gradient each time Backward computes it,
    /// before it flows further back. A hook may return a tensor of the same shape to replace the
    /// gradient, or null to leave it as it is (as torch.Tensor.register_hook).
    /// </summary>
    public void RegisterHook(Func<Tensor, Tensor?> hook)
    {
        if (!RequiresGrad)
        {
            throw new InvalidOperationException("RegisterHook: the tensor does not require grad, so no gradient will reach it.");
        }
        (_hooks ??= []).Add(hook);
    }

    /// <summary>Observes this tensor's gradient each time Backward computes it.</summary>
    public void RegisterHook(Action<Tensor> observer) => RegisterHook(g =>
    {
        observer(g);
        return null;
    });

    /// <summary>Whether a gradient hook is registered.</summary>
    internal bool HasHooks => _hooks is not null;

    internal Tensor RunHooks(Tensor g)
    {
        if (_hooks is null)
        {
            return g;
        }
        foreach (var hook in _hooks)
        {
            var replaced = hook(g);
            if (replaced is not null)
            {
                if (!Shapes.SameShape(replaced.Shape, g.Shape))
                {
                    throw new InvalidOperationException(
                        $"Gradient hook: returned shape {Shapes.Format(replaced.Shape)}, expected {Shapes.Format(g.Shape)}.");
                }
                g = replaced;
            }
        }
        return g;
    }

    /// <summary>A tensor sharing this one's data, cut out of the graph (no gradient flows through it).</summary>
    public Tensor Detach() => View(_shape);

    /// <summary>Sets the gradient to null (as PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad() => GradInternal = null;

    /// <summary>
    /// Back-propagates from this tensor: every leaf that requires grad and led to it accumulates
    /// ∂this/∂leaf (times <paramref name="gradient"/>) into its <see cref="Grad"/>.
    /// Without <paramref name="gradient"/> this tensor must hold one element (the gradient is 1).
    /// </summary>
    public void Backward(Tensor? gradient = null) => Graph.Backward(this, gradient);
}
