using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>last_step</c>: the last step of a sequence, [T, D] → [D] (x[:, -1] on a batch). No fields.</summary>
public sealed record LastStepSpec : LayerSpec
{
    internal static LayerType Definition { get; } = new("last_step", [], _ => new LastStepSpec());

    public override string Type => "last_step";

    public override int[] OutputShape(LayerContext context) => [context.SequenceInput(Type)[1]];

    public override Module Build(LayerContext context, Generator rng) => new LastStep();

    /// <summary>Gather of step −1 on axis 1 (a scalar index drops the axis).</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("Gather", [inputs[0], onnx.Constant([-1L], [])], OnnxAttribute.Of("axis", 1L));
}
