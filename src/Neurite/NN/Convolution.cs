using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// torch.nn.Conv1d: [N, C, L] → [N, O, L′] with weight [O, C/groups, k] and bias [O] (see <see cref="Ops.Conv1d(Tensor, Tensor, Tensor?, int, ValueTuple{int, int}, int, int)"/>).
/// </summary>
/// <remarks>W, b ~ U(−1/√fan_in, 1/√fan_in) with fan_in = C/groups·k, as PyTorch's default (Kaiming-uniform with a = √5 for W).</remarks>
public sealed class Conv1d : Module
{
    public Conv1d(int inChannels, int outChannels, int kernel, int stride = 1, (int Left, int Right) padding = default, int dilation = 1,
        int groups = 1, bool bias = true, Generator? rng = null)
    {
        Convolutions.CheckChannels(nameof(Conv1d), inChannels, outChannels, groups);
        (Stride, Padding, Dilation, Groups) = (stride, padding, dilation, groups);
        var (weight, initialBias) = Convolutions.InitialValues([outChannels, inChannels / groups, kernel], inChannels / groups * kernel, outChannels, bias, rng);
        Weight = Register("weight", weight);
        Bias = initialBias is null ? null : Register("bias", initialBias);
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    public int Stride { get; }

    public (int Left, int Right) Padding { get; }

    public int Dilation { get; }

    public int Groups { get; }

    public override Tensor Forward(Tensor x) => Ops.Conv1d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    public override string Describe() =>
        $"Conv1d({Weight.Shape[1] * Groups}, {Weight.Shape[0]}, kernel_size={Weight.Shape[2]}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}{(Bias is null ? ", bias=False" : "")})";
}

/// <summary>torch.nn.Conv2d: [N, C, H, W] → [N, O, H′, W′] with weight [O, C/groups, kh, kw] and bias [O] (see <see cref="Ops.Conv2d(Tensor, Tensor, Tensor?, Conv2dGeometry)"/>).</summary>
/// <remarks>W, b ~ U(−1/√fan_in, 1/√fan_in) with fan_in = C/groups·kh·kw, as PyTorch's default.</remarks>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernel, Conv2dGeometry geometry, bool bias = true, Generator? rng = null)
    {
        Convolutions.CheckChannels(nameof(Conv2d), inChannels, outChannels, geometry.Groups);
        Geometry = geometry;
        int perGroup = inChannels / geometry.Groups;
        var (weight, initialBias) = Convolutions.InitialValues([outChannels, perGroup, kernel.H, kernel.W], perGroup * kernel.H * kernel.W, outChannels, bias, rng);
        Weight = Register("weight", weight);
        Bias = initialBias is null ? null : Register("bias", initialBias);
    }

    /// <summary>A square kernel with the same stride, padding and dilation along both axes.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Generator? rng = null)
        : this(inChannels, outChannels, (kernel, kernel), Conv2dGeometry.Symmetric(stride, padding, dilation, groups), bias, rng)
    {
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    public Conv2dGeometry Geometry { get; }

    public override Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight, Bias, Geometry);

    public override string Describe() =>
        $"Conv2d({Weight.Shape[1] * Geometry.Groups}, {Weight.Shape[0]}, kernel_size=({Weight.Shape[2]}, {Weight.Shape[3]}), {Geometry}{(Bias is null ? ", bias=False" : "")})";
}

/// <summary>
/// torch.nn.ConvTranspose2d: [N, C, H, W] → [N, O, H′, W′] with weight [C, O/groups, kh, kw] and bias [O], H′ = (H − 1)·stride −
/// 2·padding + d·(kh − 1) + output_padding + 1 (see <see cref="Ops.ConvTranspose2d(Tensor, Tensor, Tensor?, ConvTranspose2dGeometry)"/>).
/// </summary>
/// <remarks>W, b ~ U(−1/√fan_in, 1/√fan_in) where PyTorch's fan_in is the weight's second axis times the kernel area: O/groups·kh·kw.</remarks>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, (int H, int W) kernel, ConvTranspose2dGeometry geometry, bool bias = true, Generator? rng = null)
    {
        Convolutions.CheckChannels(nameof(ConvTranspose2d), inChannels, outChannels, geometry.Groups);
        Geometry = geometry;
        int perGroup = outChannels / geometry.Groups;
        var (weight, initialBias) = Convolutions.InitialValues([inChannels, perGroup, kernel.H, kernel.W], perGroup * kernel.H * kernel.W, outChannels, bias, rng);
        Weight = Register("weight", weight);
        Bias = initialBias is null ? null : Register("bias", initialBias);
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    public ConvTranspose2dGeometry Geometry { get; }

    public override Tensor Forward(Tensor x) => Ops.ConvTranspose2d(x, Weight, Bias, Geometry);

    public override string Describe() =>
        $"ConvTranspose2d({Weight.Shape[0]}, {Weight.Shape[1] * Geometry.Groups}, kernel_size=({Weight.Shape[2]}, {Weight.Shape[3]}), {Geometry}{(Bias is null ? ", bias=False" : "")})";
}

/// <summary>What the convolution modules share: their channel checks and PyTorch's default initialization.</summary>
internal static class Convolutions
{
    public static void CheckChannels(string module, int inChannels, int outChannels, int groups)
    {
        if (inChannels < 1 || outChannels < 1 || groups < 1)
        {
            throw new ArgumentException($"{module}: channels and groups must be >= 1; got in {inChannels}, out {outChannels}, groups {groups}.");
        }
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"{module}: groups {groups} must divide both the input channels {inChannels} and the output channels {outChannels}.");
        }
    }

    /// <summary>Weight and bias drawn from U(−1/√fan_in, 1/√fan_in), weight first, as PyTorch's reset_parameters.</summary>
    public static (Tensor Weight, Tensor? Bias) InitialValues(int[] weightShape, int fanIn, int outChannels, bool bias, Generator? rng)
    {
        rng ??= Generator.Default;
        float bound = 1f / MathF.Sqrt(fanIn);
        var weight = Tensor.Uniform(weightShape, -bound, bound, rng);
        return (weight, bias ? Tensor.Uniform([outChannels], -bound, bound, rng) : null);
    }
}
