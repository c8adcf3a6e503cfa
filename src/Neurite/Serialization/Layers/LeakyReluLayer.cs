using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>leaky_relu</c>: x where x &gt; 0, else α·x. Field: alpha (0.01).</summary>
public sealed record LeakyReluSpec(double Alpha = 0.01) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("leaky_relu", ["alpha"], f => new LeakyReluSpec(f.Number("alpha", 0.01, Check.NonNegative, Check.NonNegativeText)));

    public override string Type => "leaky_relu";

    public override Module Build(LayerContext context, Generator rng) => new LeakyReLU((float)Alpha);

    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("LeakyRelu", inputs, OnnxAttribute.Of("alpha", (float)Alpha));

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("alpha", Alpha);
}
