using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.conv1d: x [N, C, L] (or unbatched [C, L]), weight [O, C/groups, k], bias [O] →
    /// [N, O, ⌊(L + 2·padding − d·(k − 1) − 1) / stride⌋ + 1]. Runs as <see cref="Conv2d(Tensor, Tensor, Tensor?, Conv2dGeometry)"/> with H = 1.
    /// </summary>
    /// <exception cref="ArgumentException">A shape or a setting does not fit (see <see cref="Conv2d(Tensor, Tensor, Tensor?, Conv2dGeometry)"/>).</exception>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv1d(x, weight, bias, stride, (padding, padding), dilation, groups);

    /// <summary>
    /// conv1d with different zero padding before and after the sequence, as PyTorch's <c>padding="same"</c> pads an
    /// even dilated extent (see <see cref="Conv2dGeometry.SamePadding"/>).
    /// </summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, int stride, (int Left, int Right) padding, int dilation = 1, int groups = 1)
    {
        const string op = nameof(Conv1d);
        if (x.Rank is not (2 or 3))
        {
            throw new ArgumentException($"{op}: input must be [N, C, L] or [C, L]; got {Shapes.Format(x.Shape)}.");
        }
        if (weight.Rank != 3)
        {
            throw new ArgumentException($"{op}: weight must be [out, in/groups, k]; got {Shapes.Format(weight.Shape)}.");
        }
        var batched = x.Rank == 3 ? x : Reshape(x, [1, .. x.Shape]);
        CheckConvolution(op, x, batched.Shape, weight, bias, [stride], [padding.Left], [padding.Right], [dilation], groups);
        int n = batched.Shape[0], c = batched.Shape[1], length = batched.Shape[2];
        var geometry = new Conv2dGeometry(1, stride, 0, padding.Left, 0, padding.Right, 1, dilation, groups);
        var y = Convolve(op, Reshape(batched, [n, c, 1, length]),
            Reshape(weight, [weight.Shape[0], weight.Shape[1], 1, weight.Shape[2]]), bias, geometry);
        return Reshape(y, x.Rank == 3 ? [n, y.Shape[1], y.Shape[3]] : [y.Shape[1], y.Shape[3]]);
    }

    /// <summary>conv2d with int arguments, the same along both axes and on every side.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, Conv2dGeometry.Symmetric(stride, padding, dilation, groups));

    /// <summary>
    /// torch.nn.functional.conv2d (a cross-correlation): x [N, C, H, W] (or unbatched [C, H, W]),
    /// weight [O, C/groups, kh, kw], bias [O] → [N, O, OH, OW] with the sizes of <see cref="Conv2dGeometry.OutputSize"/>:
    /// y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q]·x[n, g·C/groups + c, i·sh − pad_top + p·dh, j·sw − pad_left + q·dw]
    /// for o in group g, zero outside the input. By im2col and GEMM; ∂x, ∂W and ∂b by the transposed products.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not 3-D or 4-D, the weight not 4-D, a stride or dilation is below 1,
    /// a padding negative, groups do not divide the channels, the weight's channels or the bias do not fit, or the
    /// dilated kernel is larger than the padded input; the message names the shapes.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dGeometry geometry)
    {
        const string op = nameof(Conv2d);
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W]; got {Shapes.Format(x.Shape)}.");
        }
        if (weight.Rank != 4)
        {
            throw new ArgumentException($"{op}: weight must be [out, in/groups, kh, kw]; got {Shapes.Format(weight.Shape)}.");
        }
        var batched = x.Rank == 4 ? x : Reshape(x, [1, .. x.Shape]);
        var g = geometry;
        CheckConvolution(op, x, batched.Shape, weight, bias, [g.StrideH, g.StrideW], [g.PadTop, g.PadLeft],
            [g.PadBottom, g.PadRight], [g.DilationH, g.DilationW], g.Groups);
        var y = Convolve(op, batched, weight, bias, geometry);
        return Unbatched(x, y);
    }

    /// <summary>The checked convolution on [N, C, H, W] and [O, C/groups, kh, kw].</summary>
    private static Tensor Convolve(string op, Tensor x, Tensor weight, Tensor? bias, Conv2dGeometry g)
    {
        int kh = weight.Shape[2], kw = weight.Shape[3];
        var (outH, outW) = g.OutputSize(x.Shape[2], x.Shape[3], kh, kw);
        var s = new ConvShape(x.Shape[0], g.Groups, x.Shape[1], x.Shape[2], x.Shape[3], weight.Shape[0], outH, outW,
            kh, kw, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW);
        var y = Tensor.Empty([s.Batch, s.ColumnChannels, outH, outW]);
        Convolution.Convolve(s, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        return Graph.RecordOp(y, op, bias is null ? [x, weight] : [x, weight, bias], dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Tensor.Empty(x.Shape);
                Convolution.ConvolveTransposed(s, dy.Data, weight.Data, default, dx.Data);
            }
            if (weight.RequiresGrad)
            {
                dw = weight.GradientBuffer();
                Convolution.WeightGradient(s, x.Data, dy.Data, dw.Data);
            }
            if (bias is { RequiresGrad: true })
            {
                db = bias.GradientBuffer();
                Convolution.BiasGradient(dy.Data, s.Batch, s.ColumnChannels, s.Positions, db.Data);
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    /// <summary>conv_transpose2d with int arguments, the same along both axes.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int dilation = 1, int groups = 1) =>
        ConvTranspose2d(x, weight, bias, ConvTranspose2dGeometry.Symmetric(stride, padding, outputPadding, dilation, groups));

    /// <summary>
    /// torch.nn.functional.conv_transpose2d, the adjoint of conv2d: x [N, C, H, W] (or unbatched [C, H, W]),
    /// weight [C, O/groups, kh, kw], bias [O] → [N, O, OH, OW] with OH = (H − 1)·stride − 2·padding + d·(kh − 1) +
    /// output_padding + 1 (<see cref="ConvTranspose2dGeometry.OutputSize"/>). Each input element adds its
    /// weight-scaled kernel into the output at stride spacing; padding crops the result. Computed as conv2d's
    /// backward-data product (Wᵀ·x, then col2im); ∂x is conv2d's forward product.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not 3-D or 4-D, the weight not 4-D or its input channels differ from
    /// the input's, groups do not divide the channels, a stride or dilation is below 1, a padding negative,
    /// output_padding is not smaller than the stride or the dilation, or the output would be empty; the message
    /// names the shapes.</exception>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, ConvTranspose2dGeometry geometry)
    {
        const string op = nameof(ConvTranspose2d);
        var g = geometry;
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W]; got {Shapes.Format(x.Shape)}.");
        }
        if (weight.Rank != 4)
        {
            throw new ArgumentException($"{op}: weight must be [in, out/groups, kh, kw]; got {Shapes.Format(weight.Shape)}.");
        }
        var batched = x.Rank == 4 ? x : Reshape(x, [1, .. x.Shape]);
        string shapes = $"input {Shapes.Format(x.Shape)}, weight {Shapes.Format(weight.Shape)}, {g}";
        int channels = batched.Shape[1];
        if (g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 || g.Groups < 1)
        {
            throw new ArgumentException($"{op}: stride, dilation and groups must be at least 1 ({shapes}).");
        }
        if (g.PadH < 0 || g.PadW < 0 || g.OutputPadH < 0 || g.OutputPadW < 0)
        {
            throw new ArgumentException($"{op}: padding and output_padding must not be negative ({shapes}).");
        }
        if ((g.OutputPadH >= g.StrideH && g.OutputPadH >= g.DilationH) || (g.OutputPadW >= g.StrideW && g.OutputPadW >= g.DilationW))
        {
            throw new ArgumentException($"{op}: output_padding must be smaller than the stride or the dilation ({shapes}).");
        }
        if (weight.Shape[0] != channels)
        {
            throw new ArgumentException($"{op}: weight [in, out/groups, kh, kw] takes {weight.Shape[0]} input channels, but the input has {channels} ({shapes}).");
        }
        if (channels % g.Groups != 0)
        {
            throw new ArgumentException($"{op}: groups {g.Groups} does not divide the input's {channels} channels ({shapes}).");
        }
        if (weight.Shape[1] == 0 || weight.Shape[2] == 0 || weight.Shape[3] == 0)
        {
            throw new ArgumentException($"{op}: the weight is empty ({shapes}).");
        }
        int outChannels = weight.Shape[1] * g.Groups;
        CheckBias(op, bias, outChannels, shapes);
        int kh = weight.Shape[2], kw = weight.Shape[3];
        long outH = ConvTranspose2dGeometry.OutputLength(batched.Shape[2], kh, g.StrideH, g.PadH, g.OutputPadH, g.DilationH);
        long outW = ConvTranspose2dGeometry.OutputLength(batched.Shape[3], kw, g.StrideW, g.PadW, g.OutputPadW, g.DilationW);
        if (outH < 1 || outW < 1 || outH * outW > int.MaxValue)
        {
            throw new ArgumentException($"{op}: the output would be {outH}×{outW} ({shapes}).");
        }

        // The transposed convolution's output is the image side of a convolution whose output is x.
        var s = new ConvShape(batched.Shape[0], g.Groups, outChannels, (int)outH, (int)outW, channels, batched.Shape[2], batched.Shape[3],
            kh, kw, g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilationH, g.DilationW);
        var y = Tensor.Empty([s.Batch, outChannels, (int)outH, (int)outW]);
        Convolution.ConvolveTransposed(s, batched.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        y = Graph.RecordOp(y, op, bias is null ? [batched, weight] : [batched, weight, bias], dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (batched.RequiresGrad)
            {
                dx = Tensor.Empty(batched.Shape);
                Convolution.Convolve(s, dy.Data, weight.Data, default, dx.Data);
            }
            if (weight.RequiresGrad)
            {
                dw = weight.GradientBuffer();
                Convolution.WeightGradient(s, dy.Data, batched.Data, dw.Data);
            }
            if (bias is { RequiresGrad: true })
            {
                db = bias.GradientBuffer();
                Convolution.BiasGradient(dy.Data, s.Batch, outChannels, s.ImageH * s.ImageW, db.Data);
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
        return Unbatched(x, y);
    }

    /// <summary>
    /// The checks of conv1d and conv2d, over any number of spatial axes: x is the input as given, batched its shape
    /// with the batch axis, weight [O, C/groups, k…]; stride … dilation hold one value per spatial axis.
    /// </summary>
    private static void CheckConvolution(string op, Tensor x, ReadOnlySpan<int> batched, Tensor weight, Tensor? bias,
        int[] stride, int[] padBefore, int[] padAfter, int[] dilation, int groups)
    {
        string shapes = $"input {Shapes.Format(x.Shape)}, weight {Shapes.Format(weight.Shape)}, stride {Axes(stride)}, "
            + $"padding {Axes(padBefore)}{(padBefore.SequenceEqual(padAfter) ? "" : $" before and {Axes(padAfter)} after")}, "
            + $"dilation {Axes(dilation)}, groups {groups}";
        if (stride.Any(v => v < 1) || dilation.Any(v => v < 1) || groups < 1)
        {
            throw new ArgumentException($"{op}: stride, dilation and groups must be at least 1 ({shapes}).");
        }
        if (padBefore.Any(v => v < 0) || padAfter.Any(v => v < 0))
        {
            throw new ArgumentException($"{op}: padding must not be negative ({shapes}).");
        }
        int channels = batched[1], outChannels = weight.Shape[0];
        if (channels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException(
                $"{op}: groups {groups} must divide both the input's {channels} channels and the weight's {outChannels} output channels ({shapes}).");
        }
        if (weight.Shape[1] * groups != channels)
        {
            throw new ArgumentException(
                $"{op}: the weight takes {weight.Shape[1]}·groups = {weight.Shape[1] * groups} input channels, but the input has {channels} ({shapes}).");
        }
        if (weight.Count == 0)
        {
            throw new ArgumentException($"{op}: the weight is empty ({shapes}).");
        }
        CheckBias(op, bias, outChannels, shapes);
        for (int axis = 0; axis < stride.Length; axis++)
        {
            int kernel = weight.Shape[2 + axis], padded = batched[2 + axis] + padBefore[axis] + padAfter[axis];
            long extent = (long)dilation[axis] * (kernel - 1) + 1;
            if (extent > padded)
            {
                throw new ArgumentException(
                    $"{op}: the kernel (dilated extent {extent} along spatial axis {axis}) does not fit the padded input ({padded}) ({shapes}).");
            }
        }
    }

    private static void CheckBias(string op, Tensor? bias, int outChannels, string shapes)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outChannels))
        {
            throw new ArgumentException($"{op}: bias {Shapes.Format(bias.Shape)} does not fit {outChannels} output channels (expected [{outChannels}]; {shapes}).");
        }
    }

    /// <summary>One value per spatial axis: "3" for one axis, "(3, 1)" for two.</summary>
    private static string Axes(int[] values) => values.Length == 1 ? $"{values[0]}" : $"({string.Join(", ", values)})";
}
