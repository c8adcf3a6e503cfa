using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>softplus</c>: (1/β)·ln(1 + e^(βx)). Fields: beta (1), threshold (20).</summary>
public sealed record SoftplusSpec(double Beta = 1, double Threshold = 20) : LayerSpec
{
    internal static LayerType Definition { get; } = new("softplus", ["beta", "threshold"], f => new SoftplusSpec(
        f.Number("beta", 1, Check.Positive, Check.PositiveText), f.Number("threshold", 20, Check.Positive, Check.PositiveText)));

    public override string Type => "softplus";

    public override Module Build(LayerContext context, Generator rng) => new Softplus((float)Beta, (float)Threshold);

    /// <summary>
    /// Softplus at beta 1 and threshold 20, where ONNX's ln(1 + eˣ) equals PyTorch's to float precision; otherwise
    /// PyTorch's definition, βx &gt; threshold ? x : softplus(βx)/β.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        if (Beta == 1 && Threshold == 20)
        {
            return onnx.Node("Softplus", inputs);
        }
        string x = inputs[0], beta = onnx.Constant((float)Beta);
        string scaled = onnx.Node("Mul", [x, beta]);
        string soft = onnx.Node("Div", [onnx.Node("Softplus", [scaled]), beta]);
        return onnx.Node("Where", [onnx.Node("Greater", [scaled, onnx.Constant((float)Threshold)]), x, soft]);
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("beta", Beta);
        json.WriteNumber("threshold", Threshold);
    }
}
