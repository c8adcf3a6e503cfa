using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>torch.nn.MaxPool2d: the largest value of each window, padding counted as −∞ (see <see cref="Ops.MaxPool2d(Tensor, Pool2dGeometry)"/>).</summary>
public sealed class MaxPool2d(Pool2dGeometry geometry) : Module
{
    public Pool2dGeometry Geometry { get; } = geometry;

    public override Tensor Forward(Tensor x) => Ops.MaxPool2d(x, Geometry);

    public override string Describe() => $"MaxPool2d({Geometry})";
}

/// <summary>torch.nn.AvgPool2d with count_include_pad: each window's sum over its whole area, padding included (see <see cref="Ops.AvgPool2d(Tensor, Pool2dGeometry)"/>).</summary>
public sealed class AvgPool2d(Pool2dGeometry geometry) : Module
{
    public Pool2dGeometry Geometry { get; } = geometry;

    public override Tensor Forward(Tensor x) => Ops.AvgPool2d(x, Geometry);

    public override string Describe() => $"AvgPool2d({Geometry})";
}

/// <summary>torch.nn.AdaptiveAvgPool2d: output [outH, outW], bin i spanning ⌊i·H/outH⌋ to ⌈(i + 1)·H/outH⌉.</summary>
public sealed class AdaptiveAvgPool2d(int outH, int outW) : Module
{
    public (int H, int W) OutputSize { get; } = (outH, outW);

    public override Tensor Forward(Tensor x) => Ops.AdaptiveAvgPool2d(x, OutputSize.H, OutputSize.W);

    public override string Describe() => $"AdaptiveAvgPool2d(output_size=({OutputSize.H}, {OutputSize.W}))";
}
