using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>softmax</c>, or <c>log_softmax</c> when <paramref name="Log"/>. Field: axis (−1), counted with the
/// batch axis as PyTorch's dim, and never the batch axis itself.
/// </summary>
public sealed record SoftmaxSpec(int Axis = -1, bool Log = false) : LayerSpec
{
    internal static LayerType Definition { get; } = new("softmax", ["axis"], f => new SoftmaxSpec(f.Int("axis", -1, int.MinValue + 1)));

    internal static LayerType LogDefinition { get; } = new("log_softmax", ["axis"], f => new SoftmaxSpec(f.Int("axis", -1, int.MinValue + 1), Log: true));

    public override string Type => Log ? "log_softmax" : "softmax";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        int rank = input.Length + 1;
        if (Axis == 0 || Axis < -input.Length || Axis >= rank)
        {
            throw context.Error("axis",
                $"axis {Axis} is not an axis of a sample: with the batch axis the input is {rank}-D, so axis must be in 1..{rank - 1} or -{input.Length}..-1");
        }
        return input;
    }

    public override Module Build(LayerContext context, Generator rng) => Log ? new LogSoftmax(Axis) : new Softmax(Axis);

    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node(Log ? "LogSoftmax" : "Softmax", inputs, OnnxAttribute.Of("axis", (long)Axis));

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("axis", Axis);
}
