using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>add</c>: the element-wise sum of its inputs, which have the same shape (no broadcasting); a graph node names two or more.</summary>
public sealed record AddSpec : LayerSpec
{
    internal static LayerType Definition { get; } = new("add", [], _ => new AddSpec());

    public override string Type => "add";

    public override int MinInputs => 2;

    public override int MaxInputs => int.MaxValue;

    public override int[] OutputShape(LayerContext context) =>
        context.Inputs.All(shape => shape.SequenceEqual(context.Input))
            ? context.Input
            : throw context.InputsError($"add needs inputs of the same shape, got {context.DescribeInputs()}");

    public override Module Build(LayerContext context, Generator rng) => new Add();

    /// <summary>Add for two inputs, Sum for more (the same sum, left to right).</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node(inputs.Count == 2 ? "Add" : "Sum", inputs);
}
