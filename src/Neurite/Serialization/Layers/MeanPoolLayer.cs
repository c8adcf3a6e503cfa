using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>mean_pool</c>: the mean over the steps of a sequence, [T, D] → [D] (x.mean(dim=1) on a batch). No fields.</summary>
public sealed record MeanPoolSpec : LayerSpec
{
    internal static LayerType Definition { get; } = new("mean_pool", [], _ => new MeanPoolSpec());

    public override string Type => "mean_pool";

    public override int[] OutputShape(LayerContext context) => [context.SequenceInput(Type)[1]];

    public override Module Build(LayerContext context, Generator rng) => new MeanPool();

    /// <summary>ReduceMean over the steps (axis 1), the axis dropped.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("ReduceMean", inputs, OnnxAttribute.Of("axes", [1L]), OnnxAttribute.Of("keepdims", 0L));
}
