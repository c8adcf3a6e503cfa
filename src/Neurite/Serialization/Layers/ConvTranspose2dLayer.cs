using System.Text.Json;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>conv_transpose2d</c>, as torch.nn.ConvTranspose2d, on images [C, H, W]: fields out (required), kernel (required),
/// stride (1), padding (0), output_padding (0), dilation (1), groups (1), bias (true), init; each size an integer or
/// [h, w]. Output H′ = (H − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1.
/// State dict: weight [C, out/groups, kh, kw], bias [out].
/// </summary>
public sealed record ConvTranspose2dSpec(
    int Out, (int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding, (int H, int W) OutputPadding, (int H, int W) Dilation,
    int Groups = 1, bool Bias = true, InitSpec? Init = null) : LayerSpec
{
    internal static LayerType Definition { get; } = new("conv_transpose2d",
        ["out", "kernel", "stride", "padding", "output_padding", "dilation", "groups", "bias", "init"],
        f => new ConvTranspose2dSpec(f.RequiredInt("out"), f.RequiredPair("kernel"), f.Pair("stride", (1, 1)), f.Pair("padding", (0, 0), min: 0),
            f.Pair("output_padding", (0, 0), min: 0), f.Pair("dilation", (1, 1)), f.Int("groups", 1), f.Bool("bias", true), InitSpec.ParseField(f)));

    public override string Type => "conv_transpose2d";

    public ConvTranspose2dGeometry Geometry => ConvTranspose2dGeometry.Symmetric(Stride, Padding, OutputPadding, Dilation, Groups);

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        if (input.Length != 3)
        {
            throw context.Error($"conv_transpose2d needs images [C, H, W] per sample, but its input is {Shapes.Format(input)}");
        }
        ConvolutionChecks.Groups(context, input[0], Out, Groups);
        // PyTorch: "output padding must be smaller than either stride or dilation", per axis.
        if (OutputPadding.H >= Math.Max(Stride.H, Dilation.H) || OutputPadding.W >= Math.Max(Stride.W, Dilation.W))
        {
            throw context.Error("output_padding",
                $"output_padding [{OutputPadding.H}, {OutputPadding.W}] must be smaller than the stride [{Stride.H}, {Stride.W}] or the dilation [{Dilation.H}, {Dilation.W}]");
        }
        var (h, w) = Geometry.OutputSize(input[1], input[2], Kernel.H, Kernel.W);
        if (h < 1 || w < 1)
        {
            throw context.Error("padding",
                $"the padding [{Padding.H}, {Padding.W}] leaves no output for the input {Shapes.Format(input)} and kernel [{Kernel.H}, {Kernel.W}] (output [{h}, {w}])");
        }
        return [Out, h, w];
    }

    /// <summary>Every input value meets out/groups·kh·kw weights.</summary>
    public override long MultiplyAccumulates(LayerContext context) =>
        Shapes.CountOf(context.Input, Type) * (Out / Groups) * Kernel.H * Kernel.W;

    public override Module Build(LayerContext context, Generator rng)
    {
        var conv = new ConvTranspose2d(context.Input[0], Out, Kernel, Geometry, Bias, rng);
        Init?.Apply(conv.Weight, conv.Bias, rng);
        return conv;
    }

    /// <summary>ConvTranspose with the same padding on both sides of each axis, output_padding, strides, dilations and group.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("ConvTranspose", Bias ? [inputs[0], onnx.Weight("weight"), onnx.Weight("bias")] : [inputs[0], onnx.Weight("weight")],
            OnnxAttribute.Of("kernel_shape", [Kernel.H, (long)Kernel.W]),
            OnnxAttribute.Of("strides", [Stride.H, (long)Stride.W]),
            OnnxAttribute.Of("pads", [Padding.H, Padding.W, Padding.H, (long)Padding.W]),
            OnnxAttribute.Of("output_padding", [OutputPadding.H, (long)OutputPadding.W]),
            OnnxAttribute.Of("dilations", [Dilation.H, (long)Dilation.W]),
            OnnxAttribute.Of("group", (long)Groups));

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("out", Out);
        ConvPadding.WritePair(json, "kernel", Kernel);
        ConvPadding.WritePair(json, "stride", Stride);
        ConvPadding.WritePair(json, "padding", Padding);
        ConvPadding.WritePair(json, "output_padding", OutputPadding);
        ConvPadding.WritePair(json, "dilation", Dilation);
        json.WriteNumber("groups", Groups);
        json.WriteBoolean("bias", Bias);
        InitSpec.WriteField(json, Init);
    }
}
