using System.Text.Json;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>max_pool2d</c> and <c>avg_pool2d</c>, as torch.nn.MaxPool2d and AvgPool2d (count_include_pad), on images [C, H, W]:
/// fields kernel (required), stride (the kernel), padding (0, at most half the kernel); each an integer or [h, w].
/// Output sizes round down. Max pooling pads with −∞; average pooling divides by the whole kernel area.
/// </summary>
public sealed record Pool2dSpec(string Kind, (int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding) : LayerSpec
{
    internal static LayerType MaxDefinition { get; } = Define("max_pool2d");

    internal static LayerType AverageDefinition { get; } = Define("avg_pool2d");

    private static LayerType Define(string kind) => new(kind, ["kernel", "stride", "padding"], f =>
    {
        var kernel = f.RequiredPair("kernel");
        return new Pool2dSpec(kind, kernel, f.Pair("stride", kernel), f.Pair("padding", (0, 0), min: 0));
    });

    public override string Type => Kind;

    public Pool2dGeometry Geometry => Pool2dGeometry.Of(Kernel, Stride, Padding);

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        if (input.Length != 3)
        {
            throw context.Error($"{Kind} needs images [C, H, W] per sample, but its input is {Shapes.Format(input)}");
        }
        if (2 * Padding.H > Kernel.H || 2 * Padding.W > Kernel.W)
        {
            throw context.Error("padding", $"padding [{Padding.H}, {Padding.W}] must be at most half the kernel [{Kernel.H}, {Kernel.W}]");
        }
        var (h, w) = Geometry.OutputSize(input[1], input[2]);
        if (h < 1 || w < 1)
        {
            throw context.Error("kernel",
                $"the kernel [{Kernel.H}, {Kernel.W}] is larger than the padded input: {Shapes.Format(input)} padded by [{Padding.H}, {Padding.W}]");
        }
        return [input[0], h, w];
    }

    public override Module Build(LayerContext context, Generator rng) =>
        Kind == "max_pool2d" ? new MaxPool2d(Geometry) : new AvgPool2d(Geometry);

    /// <summary>MaxPool, or AveragePool with count_include_pad (the padding counts in the divisor, as torch's default); sizes round down.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        OnnxAttribute[] window =
        [
            OnnxAttribute.Of("kernel_shape", [Kernel.H, (long)Kernel.W]),
            OnnxAttribute.Of("strides", [Stride.H, (long)Stride.W]),
            OnnxAttribute.Of("pads", [Padding.H, Padding.W, Padding.H, (long)Padding.W]),
        ];
        return Kind == "max_pool2d"
            ? onnx.Node("MaxPool", inputs, window)
            : onnx.Node("AveragePool", inputs, [.. window, OnnxAttribute.Of("count_include_pad", 1L)]);
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        ConvPadding.WritePair(json, "kernel", Kernel);
        ConvPadding.WritePair(json, "stride", Stride);
        ConvPadding.WritePair(json, "padding", Padding);
    }
}
