using System.Text.Json;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>conv2d</c>, as torch.nn.Conv2d, on images [C, H, W]: fields out (required), kernel (required), stride (1),
/// padding (0 or "same"), dilation (1), groups (1), bias (true), init (PyTorch's default). kernel, stride, padding and
/// dilation take an integer for both axes or [h, w]. State dict: weight [out, C/groups, kh, kw], bias [out].
/// </summary>
public sealed record Conv2dSpec(
    int Out, (int H, int W) Kernel, (int H, int W) Stride, ConvPadding Padding, (int H, int W) Dilation,
    int Groups = 1, bool Bias = true, InitSpec? Init = null) : LayerSpec
{
    internal static LayerType Definition { get; } = new("conv2d", ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "init"],
        f => new Conv2dSpec(f.RequiredInt("out"), f.RequiredPair("kernel"), f.Pair("stride", (1, 1)), f.Padding("padding"), f.Pair("dilation", (1, 1)),
            f.Int("groups", 1), f.Bool("bias", true), InitSpec.ParseField(f)));

    public override string Type => "conv2d";

    /// <summary>The geometry the module runs with: explicit padding on both sides, or "same" resolved for this kernel.</summary>
    public Conv2dGeometry Geometry => Padding.IsSame
        ? Conv2dGeometry.Same(Kernel.H, Kernel.W, Dilation.H, Dilation.W, Groups)
        : Conv2dGeometry.Symmetric(Stride, (Padding.H, Padding.W), Dilation, Groups);

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        if (input.Length != 3)
        {
            throw context.Error($"conv2d needs images [C, H, W] per sample, but its input is {Shapes.Format(input)}");
        }
        ConvolutionChecks.Groups(context, input[0], Out, Groups);
        if (Padding.IsSame && Stride != (1, 1))
        {
            throw context.Error("padding", $"padding \"same\" needs stride 1, as in PyTorch, but stride is [{Stride.H}, {Stride.W}]");
        }
        var (h, w) = Geometry.OutputSize(input[1], input[2], Kernel.H, Kernel.W);
        if (h < 1 || w < 1)
        {
            throw context.Error("kernel",
                $"the kernel [{Kernel.H}, {Kernel.W}] (dilation [{Dilation.H}, {Dilation.W}]) is larger than the padded input: {Shapes.Format(input)} padded by [{Padding.H}, {Padding.W}]");
        }
        return [Out, h, w];
    }

    public override long MultiplyAccumulates(LayerContext context)
    {
        var output = OutputShape(context);
        return Shapes.CountOf(output, Type) * (context.Input[0] / Groups) * Kernel.H * Kernel.W;
    }

    public override Module Build(LayerContext context, Generator rng)
    {
        var conv = new Conv2d(context.Input[0], Out, Kernel, Geometry, Bias, rng);
        Init?.Apply(conv.Weight, conv.Bias, rng);
        return conv;
    }

    /// <summary>Conv with the module's explicit padding (begins, then ends; "same" resolved as the module pads), strides, dilations and group.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var g = Geometry;
        return onnx.Node("Conv", Bias ? [inputs[0], onnx.Weight("weight"), onnx.Weight("bias")] : [inputs[0], onnx.Weight("weight")],
            OnnxAttribute.Of("kernel_shape", [Kernel.H, (long)Kernel.W]),
            OnnxAttribute.Of("strides", [g.StrideH, (long)g.StrideW]),
            OnnxAttribute.Of("pads", [g.PadTop, g.PadLeft, g.PadBottom, (long)g.PadRight]),
            OnnxAttribute.Of("dilations", [g.DilationH, (long)g.DilationW]),
            OnnxAttribute.Of("group", (long)Groups));
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("out", Out);
        ConvPadding.WritePair(json, "kernel", Kernel);
        ConvPadding.WritePair(json, "stride", Stride);
        Padding.Write(json, "padding");
        ConvPadding.WritePair(json, "dilation", Dilation);
        json.WriteNumber("groups", Groups);
        json.WriteBoolean("bias", Bias);
        InitSpec.WriteField(json, Init);
    }
}

/// <summary>The checks the convolution layer types share, each naming the field at fault.</summary>
internal static class ConvolutionChecks
{
    public static void Groups(LayerContext context, int inChannels, int outChannels, int groups)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw context.Error("groups", $"groups {groups} must divide both the input channels ({inChannels}) and out ({outChannels})");
        }
    }
}
