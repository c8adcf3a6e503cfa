using Neurite.Tensors;

namespace Neurite.Autograd;

/// <summary>
/// One recorded op in the graph: its inputs and the function that turns the gradient of its
/// output into gradients of its inputs (null where an input needs none).
/// </summary>
public sealed class Node
{
    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        BackwardFunction = backward;
    }

    /// <summary>The op's name, e.g. "MatMul".</summary>
    public string Name { get; }

    /// <summary>The tensors the op read.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    internal Func<Tensor, Tensor?[]> BackwardFunction { get; }

    public override string ToString() => $"{Name}Backward";
}
