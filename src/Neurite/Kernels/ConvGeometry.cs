namespace Neurite.Kernels;

/// <summary>
/// How a 2-D convolution (torch.nn.functional.conv2d) slides its kernel: strides, zero padding on each side, dilation
/// and groups. Padding may differ between the two sides of an axis, which PyTorch's <c>padding="same"</c> needs for
/// an even dilated extent (see <see cref="Same"/>).
/// </summary>
public readonly record struct Conv2dGeometry(
    int StrideH, int StrideW, int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, int Groups)
{
    /// <summary>The same stride, padding (on every side) and dilation along both axes, as conv2d's int arguments.</summary>
    public static Conv2dGeometry Symmetric(int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, padding, padding, padding, padding, dilation, dilation, groups);

    /// <summary>Per-axis stride, padding (the same on both sides of an axis) and dilation, as conv2d's pair arguments.</summary>
    public static Conv2dGeometry Symmetric((int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1) =>
        new(stride.H, stride.W, padding.H, padding.W, padding.H, padding.W, dilation.H, dilation.W, groups);

    /// <summary>
    /// PyTorch's <c>padding="same"</c> (stride 1): the output has the input's size. Each axis pads d·(k − 1) in all,
    /// the smaller half before and the larger after, as ATen does for an odd total.
    /// </summary>
    public static Conv2dGeometry Same(int kernelH, int kernelW, int dilationH = 1, int dilationW = 1, int groups = 1)
    {
        var (top, bottom) = SamePadding(kernelH, dilationH);
        var (left, right) = SamePadding(kernelW, dilationW);
        return new(1, 1, top, left, bottom, right, dilationH, dilationW, groups);
    }

    /// <summary>
    /// The zero padding before and after one axis that keeps its size at stride 1 (PyTorch's <c>padding="same"</c>):
    /// total = d·(k − 1), before = ⌊total / 2⌋, after = total − before.
    /// </summary>
    public static (int Before, int After) SamePadding(int kernel, int dilation = 1)
    {
        int total = dilation * (kernel - 1);
        return (total / 2, total - total / 2);
    }

    /// <summary>
    /// The output size along each axis: ⌊(in + pad_before + pad_after − d·(k − 1) − 1) / stride⌋ + 1 (not positive
    /// when the dilated kernel is larger than the padded input).
    /// </summary>
    public (int H, int W) OutputSize(int inputH, int inputW, int kernelH, int kernelW) =>
        (OutputLength(inputH, kernelH, StrideH, PadTop + PadBottom, DilationH),
         OutputLength(inputW, kernelW, StrideW, PadLeft + PadRight, DilationW));

    /// <summary>⌊(length + padding − d·(k − 1) − 1) / stride⌋ + 1, with padding both sides' sum; at most 0 when the kernel does not fit.</summary>
    internal static int OutputLength(int length, int kernel, int stride, int padding, int dilation)
    {
        if (stride < 1 || dilation < 1)
        {
            throw new ArgumentException($"stride {stride} and dilation {dilation} must be at least 1.");
        }
        long span = (long)length + padding - (long)dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }

    public override string ToString() =>
        $"stride ({StrideH}, {StrideW}), padding (top {PadTop}, left {PadLeft}, bottom {PadBottom}, right {PadRight}), dilation ({DilationH}, {DilationW}), groups {Groups}";
}

/// <summary>
/// How a 2-D transposed convolution (torch.nn.functional.conv_transpose2d) spreads its input: strides, the padding
/// taken off each side of the output, the extra rows and columns added at its bottom and right (output_padding),
/// dilation and groups.
/// </summary>
public readonly record struct ConvTranspose2dGeometry(
    int StrideH, int StrideW, int PadH, int PadW, int OutputPadH, int OutputPadW, int DilationH, int DilationW, int Groups)
{
    /// <summary>The same stride, padding, output padding and dilation along both axes, as conv_transpose2d's int arguments.</summary>
    public static ConvTranspose2dGeometry Symmetric(int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, padding, padding, outputPadding, outputPadding, dilation, dilation, groups);

    /// <summary>Per-axis stride, padding, output padding and dilation, as conv_transpose2d's pair arguments.</summary>
    public static ConvTranspose2dGeometry Symmetric(
        (int H, int W) stride, (int H, int W) padding, (int H, int W) outputPadding, (int H, int W) dilation, int groups = 1) =>
        new(stride.H, stride.W, padding.H, padding.W, outputPadding.H, outputPadding.W, dilation.H, dilation.W, groups);

    /// <summary>The output size along each axis: (in − 1)·stride − 2·padding + d·(k − 1) + output_padding + 1.</summary>
    public (int H, int W) OutputSize(int inputH, int inputW, int kernelH, int kernelW) =>
        ((int)OutputLength(inputH, kernelH, StrideH, PadH, OutputPadH, DilationH),
         (int)OutputLength(inputW, kernelW, StrideW, PadW, OutputPadW, DilationW));

    internal static long OutputLength(int length, int kernel, int stride, int padding, int outputPadding, int dilation) =>
        ((long)length - 1) * stride - 2L * padding + (long)dilation * (kernel - 1) + outputPadding + 1;

    public override string ToString() =>
        $"stride ({StrideH}, {StrideW}), padding ({PadH}, {PadW}), output_padding ({OutputPadH}, {OutputPadW}), dilation ({DilationH}, {DilationW}), groups {Groups}";
}

/// <summary>
/// The window of a 2-D pool (max_pool2d, avg_pool2d): kernel size, stride and the padding on each side; output sizes
/// round down (ceil_mode false).
/// </summary>
public readonly record struct Pool2dGeometry(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>A square window; the stride defaults to the kernel size, as in PyTorch.</summary>
    public static Pool2dGeometry Square(int kernel, int? stride = null, int padding = 0) =>
        new(kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding);

    /// <summary>Per-axis kernel, stride (the kernel size when null) and padding.</summary>
    public static Pool2dGeometry Of((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W) padding = default)
    {
        var s = stride ?? kernel;
        return new(kernel.H, kernel.W, s.H, s.W, padding.H, padding.W);
    }

    /// <summary>The output size along each axis: ⌊(in + 2·padding − kernel) / stride⌋ + 1 (not positive when the window does not fit).</summary>
    public (int H, int W) OutputSize(int inputH, int inputW) =>
        (Conv2dGeometry.OutputLength(inputH, KernelH, StrideH, 2 * PadH, 1),
         Conv2dGeometry.OutputLength(inputW, KernelW, StrideW, 2 * PadW, 1));

    public override string ToString() =>
        $"kernel ({KernelH}, {KernelW}), stride ({StrideH}, {StrideW}), padding ({PadH}, {PadW})";
}
