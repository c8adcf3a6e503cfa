using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Joins its inputs along <paramref name="dim"/> (counted with the batch axis), as torch.cat(tensors, dim).</summary>
/// <remarks>Input: tensors of the same rank and sizes outside dim; one input is returned as it is.</remarks>
public sealed class Concat(int dim = -1) : Module
{
    /// <summary>The axis the inputs are joined along.</summary>
    public int Dim => dim;

    public override Tensor Forward(Tensor x) => x;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs.Count == 1 ? inputs[0] : Ops.Concat(inputs, dim);

    public override string Describe() => $"Concat(dim={dim})";
}

/// <summary>The element-wise sum x₁ + x₂ + … of inputs of one shape (no broadcasting); one input is returned as it is.</summary>
public sealed class Add : Module
{
    public override Tensor Forward(Tensor x) => x;

    /// <exception cref="ArgumentException">The inputs differ in shape.</exception>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var sum = inputs[0];
        for (int i = 1; i < inputs.Count; i++)
        {
            if (!Shapes.SameShape(inputs[i].Shape, inputs[0].Shape))
            {
                throw new ArgumentException($"Add: input {i} is {Shapes.Format(inputs[i].Shape)}, input 0 is {Shapes.Format(inputs[0].Shape)}; add needs the same shape.");
            }
            sum = Ops.Add(sum, inputs[i]);
        }
        return sum;
    }
}
