using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>adaptive_avg_pool2d</c>, as torch.nn.AdaptiveAvgPool2d, on images [C, H, W]: field out (required, an integer or
/// [h, w]), the output size; bin i spans rows ⌊i·H/out⌋ to ⌈(i + 1)·H/out⌉.
/// </summary>
public sealed record AdaptiveAvgPool2dSpec((int H, int W) Out) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("adaptive_avg_pool2d", ["out"], f => new AdaptiveAvgPool2dSpec(f.RequiredPair("out")));

    public override string Type => "adaptive_avg_pool2d";

    public override int[] OutputShape(LayerContext context) =>
        context.Input.Length == 3
            ? [context.Input[0], Out.H, Out.W]
            : throw context.Error($"adaptive_avg_pool2d needs images [C, H, W] per sample, but its input is {Shapes.Format(context.Input)}");

    public override Module Build(LayerContext context, Generator rng) => new AdaptiveAvgPool2d(Out.H, Out.W);

    /// <summary>
    /// GlobalAveragePool for out 1; an AveragePool of kernel and stride in/out where out divides the input, since then
    /// every bin is such a window. Other sizes have bins of different sizes, which no ONNX operator computes.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var (h, w) = (context.Input[1], context.Input[2]);
        if (Out == (1, 1))
        {
            return onnx.Node("GlobalAveragePool", inputs);
        }
        if (h % Out.H != 0 || w % Out.W != 0)
        {
            throw onnx.NoForm(this, $"pooling [{h}, {w}] to [{Out.H}, {Out.W}] makes windows of different sizes, which no ONNX operator computes; an out that divides the input size exports as AveragePool");
        }
        long[] kernel = [h / Out.H, w / Out.W];
        return onnx.Node("AveragePool", inputs, OnnxAttribute.Of("kernel_shape", kernel), OnnxAttribute.Of("strides", kernel));
    }

    public override void WriteFields(Utf8JsonWriter json) => ConvPadding.WritePair(json, "out", Out);
}
