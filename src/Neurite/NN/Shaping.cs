using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Flattens axes startAxis … endAxis into one (default: all but the batch axis), as torch.nn.Flatten.</summary>
public sealed class Flatten(int startAxis = 1, int endAxis = -1) : Module
{
    public override Tensor Forward(Tensor x) => Ops.Flatten(x, startAxis, endAxis);

    public override string Describe() => $"Flatten(start_dim={startAxis}, end_dim={endAxis})";
}

/// <summary>Returns its input unchanged.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor x) => x;
}

/// <summary>
/// Splits axis <paramref name="axis"/> into <paramref name="sizes"/> (their product is the axis's size), as
/// torch.nn.Unflatten(dim, unflattened_size): a view, e.g. [N, 1568] to [N, 32, 7, 7] before transposed convolutions.
/// A negative axis counts from the end.
/// </summary>
public sealed class Unflatten(int axis, IReadOnlyList<int> sizes) : Module
{
    private readonly int[] _sizes = [.. sizes];

    public override Tensor Forward(Tensor x)
    {
        var shape = x.Shape.ToArray();
        int at = axis < 0 ? axis + shape.Length : axis;
        if (at < 0 || at >= shape.Length || _sizes.Aggregate(1L, (a, b) => a * b) != shape[at])
        {
            throw new ArgumentException($"{Describe()}: cannot split axis {axis} of {Shapes.Format(shape)}.");
        }
        return Ops.Reshape(x, [.. shape[..at], .. _sizes, .. shape[(at + 1)..]]);
    }

    public override string Describe() => $"Unflatten(dim={axis}, unflattened_size=({string.Join(", ", _sizes)}))";
}
