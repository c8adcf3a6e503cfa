using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>repeat</c>: a vector repeated over a new time axis, [D] → [times, D], as Keras's RepeatVector. Field: times (required).</summary>
public sealed record RepeatSpec(int Times) : LayerSpec
{
    internal static LayerType Definition { get; } = new("repeat", ["times"], f => new RepeatSpec(f.RequiredInt("times")));

    public override string Type => "repeat";

    public override int[] OutputShape(LayerContext context)
    {
        if (Times < 1)
        {
            throw context.Error("times", $"expected a positive integer, got {Times}");
        }
        if (context.Input.Length != 1)
        {
            throw context.Error($"repeat takes a vector [features] per sample, got {Shapes.Format(context.Input)}");
        }
        return [Times, context.Input[0]];
    }

    public override Module Build(LayerContext context, Generator rng) => new RepeatVector(Times);

    /// <summary>[N, D] → Unsqueeze → [N, 1, D] → Tile → [N, times, D].</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("Tile", [onnx.Node("Unsqueeze", [inputs[0], onnx.Constant([1L])]), onnx.Constant([1L, Times, 1L])]);

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("times", Times);
}
