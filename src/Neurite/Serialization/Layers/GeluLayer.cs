using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>gelu</c>: x·Φ(x). Field: approximate, "none" (erf, the default) or "tanh".</summary>
public sealed record GeluSpec(string Approximate = "none") : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("gelu", ["approximate"], f => new GeluSpec(f.Choice("approximate", "none", "approximation", ["none", "tanh"])));

    public override string Type => "gelu";

    public override Module Build(LayerContext context, Generator rng) => new GELU(Approximate == "tanh");

    /// <summary>
    /// Opset 17 has no Gelu, so the definition: ½x(1 + erf(x/√2)), or with approximate "tanh"
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's exporter writes them.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string x = inputs[0];
        string inner = Approximate == "tanh"
            ? onnx.Node("Tanh", [onnx.Node("Mul", [onnx.Constant(MathF.Sqrt(2 / MathF.PI)),
                onnx.Node("Add", [x, onnx.Node("Mul", [onnx.Constant(0.044715f), onnx.Node("Mul", [x, onnx.Node("Mul", [x, x])])])])])])
            : onnx.Node("Erf", [onnx.Node("Div", [x, onnx.Constant(MathF.Sqrt(2))])]);
        return onnx.Node("Mul", [onnx.Node("Mul", [x, onnx.Node("Add", [inner, onnx.Constant(1f)])]), onnx.Constant(0.5f)]);
    }

    public override void WriteFields(Utf8JsonWriter json) => json.WriteString("approximate", Approximate);
}
