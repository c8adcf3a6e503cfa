using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A tensor that a module learns (as torch.nn.Parameter): it requires grad, and registering it on
/// a module puts it in Parameters() and the state dict. It shares the data of the tensor it wraps.
/// </summary>
public sealed class Parameter : Tensor
{
    public Parameter(Tensor value)
        : base(value, 0, value.ShapeArray)
    {
        if (!value.IsLeaf)
        {
            throw new ArgumentException($"Parameter: the value must be a leaf tensor, not the result of {value.GradFn!.Name}; Detach() it first.");
        }
        RequiresGrad = true;
    }
}
