using System.Text.Json;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>conv1d</c>, as torch.nn.Conv1d, on sequences of channels [C, L]: fields out (required), kernel (required),
/// stride (1), padding (0 or "same"), dilation (1), groups (1), bias (true), init (PyTorch's default).
/// State dict: weight [out, C/groups, k], bias [out].
/// </summary>
public sealed record Conv1dSpec(int Out, int Kernel, int Stride = 1, ConvPadding Padding = default, int Dilation = 1, int Groups = 1,
    bool Bias = true, InitSpec? Init = null) : LayerSpec
{
    internal static LayerType Definition { get; } = new("conv1d", ["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "init"],
        f => new Conv1dSpec(f.RequiredInt("out"), f.RequiredInt("kernel"), f.Int("stride", 1), OnePadding(f), f.Int("dilation", 1),
            f.Int("groups", 1), f.Bool("bias", true), InitSpec.ParseField(f)));

    public override string Type => "conv1d";

    /// <summary>The zeros before and after the sequence: as given, or "same" resolved for this kernel.</summary>
    public (int Left, int Right) Pads => Padding.IsSame ? Conv2dGeometry.SamePadding(Kernel, Dilation) : (Padding.W, Padding.W);

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        if (input.Length != 2)
        {
            throw context.Error($"conv1d needs sequences of channels [C, L] per sample, but its input is {Shapes.Format(input)}");
        }
        ConvolutionChecks.Groups(context, input[0], Out, Groups);
        if (Padding.IsSame && Stride != 1)
        {
            throw context.Error("padding", $"padding \"same\" needs stride 1, as in PyTorch, but stride is {Stride}");
        }
        var (left, right) = Pads;
        int length = Conv2dGeometry.OutputLength(input[1], Kernel, Stride, left + right, Dilation);
        if (length < 1)
        {
            throw context.Error("kernel",
                $"the kernel {Kernel} (dilation {Dilation}) is longer than the padded input: {Shapes.Format(input)} padded by {left} and {right}");
        }
        return [Out, length];
    }

    public override long MultiplyAccumulates(LayerContext context) =>
        Shapes.CountOf(OutputShape(context), Type) * (context.Input[0] / Groups) * Kernel;

    public override Module Build(LayerContext context, Generator rng)
    {
        var conv = new Conv1d(context.Input[0], Out, Kernel, Stride, Pads, Dilation, Groups, Bias, rng);
        Init?.Apply(conv.Weight, conv.Bias, rng);
        return conv;
    }

    /// <summary>Conv on [N, C, L] with the module's padding before and after ("same" resolved), stride, dilation and group.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var (left, right) = Pads;
        return onnx.Node("Conv", Bias ? [inputs[0], onnx.Weight("weight"), onnx.Weight("bias")] : [inputs[0], onnx.Weight("weight")],
            OnnxAttribute.Of("kernel_shape", [(long)Kernel]),
            OnnxAttribute.Of("strides", [(long)Stride]),
            OnnxAttribute.Of("pads", [left, (long)right]),
            OnnxAttribute.Of("dilations", [(long)Dilation]),
            OnnxAttribute.Of("group", (long)Groups));
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("out", Out);
        json.WriteNumber("kernel", Kernel);
        json.WriteNumber("stride", Stride);
        Padding.Write(json, "padding");
        json.WriteNumber("dilation", Dilation);
        json.WriteNumber("groups", Groups);
        json.WriteBoolean("bias", Bias);
        InitSpec.WriteField(json, Init);
    }

    /// <summary>conv1d's padding: one integer or "same" (a pair is conv2d's).</summary>
    private static ConvPadding OnePadding(LayerFields f)
    {
        var padding = f.Padding("padding");
        return padding.IsSame || padding.H == padding.W
            ? padding
            : throw f.Error("padding", $"conv1d takes one padding (an integer or \"same\"), got [{padding.H}, {padding.W}]");
    }
}
