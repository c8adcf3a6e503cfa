using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>elu</c>: x where x &gt; 0, else α(eˣ − 1). Field: alpha (1).</summary>
public sealed record EluSpec(double Alpha = 1) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("elu", ["alpha"], f => new EluSpec(f.Number("alpha", 1, Check.NonNegative, Check.NonNegativeText)));

    public override string Type => "elu";

    public override Module Build(LayerContext context, Generator rng) => new ELU((float)Alpha);

    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("Elu", inputs, OnnxAttribute.Of("alpha", (float)Alpha));

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("alpha", Alpha);
}
