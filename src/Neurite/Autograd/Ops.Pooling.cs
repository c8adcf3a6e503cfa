using System.Runtime.InteropServices;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.max_pool2d: the maximum of each window of x [N, C, H, W] (or [C, H, W]), the padding counting
    /// as −∞; output sizes round down. NaN propagates. The position of each maximum is kept, and the backward adds
    /// each output's gradient to that input element only.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not 3-D or 4-D, a kernel size or stride is below 1, a padding
    /// is negative or more than half the kernel, or the window does not fit the padded input.</exception>
    public static Tensor MaxPool2d(Tensor x, Pool2dGeometry geometry)
    {
        var (batched, outH, outW) = CheckPool(nameof(MaxPool2d), x, geometry);
        var s = PoolSizes(batched);
        var y = Tensor.Empty([.. batched.Shape[..2], outH, outW]);
        // The argmax positions live in a pooled array read as ints: a fresh one each step (600 KB for LeNet's first
        // pooling at batch 128) faulted its pages in, 1.3–4 ms of a 9 ms training step.
        var indexBuffer = Tensor.Empty([y.Count]);
        Pooling.MaxForward(batched.Data, s.Planes, s.H, s.W, geometry, outH, outW, y.Data, MemoryMarshal.Cast<float, int>(indexBuffer.Data));
        y = Graph.RecordOp(y, nameof(MaxPool2d), [batched], dy =>
        {
            var dx = Tensor.Empty(batched.Shape);
            Pooling.MaxBackward(dy.Data, MemoryMarshal.Cast<float, int>(indexBuffer.Data), s.Planes, s.H, s.W, outH, outW, dx.Data);
            return [dx];
        });
        return Unbatched(x, y);
    }

    /// <summary>max_pool2d with a square window; the stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        MaxPool2d(x, Pool2dGeometry.Square(kernel, stride, padding));

    /// <summary>
    /// torch.nn.functional.avg_pool2d with count_include_pad = true: each window's sum (padding counting as 0) divided
    /// by the kernel area; output sizes round down.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="MaxPool2d(Tensor, Pool2dGeometry)"/>.</exception>
    public static Tensor AvgPool2d(Tensor x, Pool2dGeometry geometry)
    {
        var (batched, outH, outW) = CheckPool(nameof(AvgPool2d), x, geometry);
        var s = PoolSizes(batched);
        var y = Tensor.Empty([.. batched.Shape[..2], outH, outW]);
        Pooling.AverageForward(batched.Data, s.Planes, s.H, s.W, geometry, outH, outW, y.Data);
        y = Graph.RecordOp(y, nameof(AvgPool2d), [batched], dy =>
        {
            var dx = Tensor.Empty(batched.Shape);
            Pooling.AverageBackward(dy.Data, s.Planes, s.H, s.W, geometry, outH, outW, dx.Data);
            return [dx];
        });
        return Unbatched(x, y);
    }

    /// <summary>avg_pool2d with a square window; the stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        AvgPool2d(x, Pool2dGeometry.Square(kernel, stride, padding));

    /// <summary>
    /// torch.nn.functional.adaptive_avg_pool2d: x [N, C, H, W] (or [C, H, W]) → [N, C, outH, outW], output (i, j) the
    /// mean of rows ⌊i·H/outH⌋ … ⌈(i + 1)·H/outH⌉ − 1 and the same columns of W: bins that overlap when the sizes do not
    /// divide.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not 3-D or 4-D or has an empty plane, or an output size is below 1.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        const string op = nameof(AdaptiveAvgPool2d);
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W]; got {Shapes.Format(x.Shape)}.");
        }
        if (outH < 1 || outW < 1 || x.Shape[^1] < 1 || x.Shape[^2] < 1)
        {
            throw new ArgumentException($"{op}: cannot pool input {Shapes.Format(x.Shape)} to {outH}×{outW}; both need sizes of at least 1.");
        }
        var batched = x.Rank == 4 ? x : Reshape(x, [1, .. x.Shape]);
        var s = PoolSizes(batched);
        var y = Tensor.Empty([.. batched.Shape[..2], outH, outW]);
        Pooling.AdaptiveAverageForward(batched.Data, s.Planes, s.H, s.W, outH, outW, y.Data);
        y = Graph.RecordOp(y, op, [batched], dy =>
        {
            var dx = Tensor.Empty(batched.Shape);
            Pooling.AdaptiveAverageBackward(dy.Data, s.Planes, s.H, s.W, outH, outW, dx.Data);
            return [dx];
        });
        return Unbatched(x, y);
    }

    /// <summary>adaptive_avg_pool2d to a square output.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int output) => AdaptiveAvgPool2d(x, output, output);

    private static (Tensor Batched, int OutH, int OutW) CheckPool(string op, Tensor x, Pool2dGeometry g)
    {
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W]; got {Shapes.Format(x.Shape)}.");
        }
        string shapes = $"input {Shapes.Format(x.Shape)}, {g}";
        if (g.KernelH < 1 || g.KernelW < 1 || g.StrideH < 1 || g.StrideW < 1)
        {
            throw new ArgumentException($"{op}: kernel size and stride must be at least 1 ({shapes}).");
        }
        if (g.PadH < 0 || g.PadW < 0 || g.PadH > g.KernelH / 2 || g.PadW > g.KernelW / 2)
        {
            throw new ArgumentException($"{op}: padding must be between 0 and half the kernel size ({shapes}).");
        }
        var (outH, outW) = g.OutputSize(x.Shape[^2], x.Shape[^1]);
        if (outH < 1 || outW < 1)
        {
            throw new ArgumentException($"{op}: the window does not fit the padded input ({shapes}).");
        }
        return (x.Rank == 4 ? x : Reshape(x, [1, .. x.Shape]), outH, outW);
    }

    private static (int Planes, int H, int W) PoolSizes(Tensor batched) =>
        (batched.Shape[0] * batched.Shape[1], batched.Shape[2], batched.Shape[3]);

    /// <summary>The result for input x: y as it is for a batched x, without its batch axis of 1 for an unbatched one.</summary>
    private static Tensor Unbatched(Tensor x, Tensor y) => x.Rank == 4 ? y : Reshape(y, y.Shape[1..]);
}
