using Neurite.Tensors;

namespace Neurite.Autograd;

/// <summary>
/// One recorded op in the graph: its inputs and the function that turns the gradient of its
/// output into gradients of its inputs (null where an input needs none).
/// </summary>
public sealed class Node
{
    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, bool freshGradients)
    {
        Name = name;
        Inputs = inputs;
        BackwardFunction = backward;
        FreshGradients = freshGradients;
    }

    /// <summary>A slicing op's node: its output is the <paramref name="region"/> of its one input.</summary>
    internal Node(string name, Tensor input, SliceRegion region)
    {
        Name = name;
        Inputs = [input];
        Region = region;
        FreshGradients = true;
    }

    /// <summary>The op's name, e.g. "MatMul".</summary>
    public string Name { get; }

    /// <summary>The tensors the op read.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>The backward of an op that is not a slice (null exactly when <see cref="Region"/> is set).</summary>
    internal Func<Tensor, Tensor?[]>? BackwardFunction { get; }

    /// <summary>
    /// For a slicing op (Narrow, Select, Unbind, Slice): where its output lies in its input. The backward walk adds
    /// the output's gradient into that region of the input's pending gradient, which it allocates (zeroed) once for
    /// all the slices of one input, instead of asking for a zero tensor of the input's shape per slice.
    /// </summary>
    internal SliceRegion? Region { get; }

    /// <summary>
    /// Whether the backward returns, for each input, either a tensor it allocated itself and keeps no reference to,
    /// or the incoming gradient (or a view of it). True for the library's own ops; a backward given to the public
    /// <see cref="Graph.Record"/> may return anything, so its results are never taken over without a copy.
    /// </summary>
    internal bool FreshGradients { get; }

    public override string ToString() => $"{Name}Backward";
}
