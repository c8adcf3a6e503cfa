using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Neurite.Kernels;

/// <summary>
/// 2-D pooling over planes (the N·C planes of an NCHW tensor, each H×W): max pooling with its argmax indices, average
/// pooling that divides by the whole kernel area (count_include_pad), and adaptive average pooling with PyTorch's
/// bins. Long inputs split their planes between threads; every output is computed by one thread in a fixed order.
/// </summary>
internal static unsafe class Pooling
{
    /// <summary>From this many input elements on, planes are split between threads.</summary>
    private const int ParallelThreshold = 64 * 1024;

    private enum Kind
    {
        MaxForward,
        MaxBackward,
        AverageForward,
        AverageBackward,
        AdaptiveForward,
        AdaptiveBackward,
    }

    /// <summary>One call: planes of inH×inW input and outH×outW output; pointers valid while the caller waits.</summary>
    private struct Job
    {
        public Kind Kind;
        public Pool2dGeometry Geometry;
        public int InH, InW, OutH, OutW;
        public float* Input, Output;
        public int* Indices;
    }

    /// <summary>
    /// y = the maximum of each window, padding counting as −∞; indices = the flat position (h·W + w) within its plane
    /// of the element chosen. As ATen: a later element wins when it is greater or NaN, so NaN propagates.
    /// </summary>
    public static void MaxForward(ReadOnlySpan<float> x, int planes, int inH, int inW, Pool2dGeometry geometry,
        int outH, int outW, Span<float> y, Span<int> indices)
    {
        Check(planes, inH, inW, outH, outW, x.Length, y.Length);
        if (indices.Length != y.Length)
        {
            throw new ArgumentException($"MaxForward: {indices.Length} indices for {y.Length} outputs.");
        }
        fixed (float* px = x, py = y)
        fixed (int* pi = indices)
        {
            Run(new Job { Kind = Kind.MaxForward, Geometry = geometry, InH = inH, InW = inW, OutH = outH, OutW = outW, Input = px, Output = py, Indices = pi }, planes);
        }
    }

    /// <summary>dx = 0, then dx[plane, indices[o]] += dy[o] for every output o of the plane.</summary>
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, int planes, int inH, int inW,
        int outH, int outW, Span<float> dx)
    {
        Check(planes, inH, inW, outH, outW, dx.Length, dy.Length);
        if (indices.Length != dy.Length)
        {
            throw new ArgumentException($"MaxBackward: {indices.Length} indices for {dy.Length} gradients.");
        }
        fixed (float* pdx = dx, pdy = dy)
        fixed (int* pi = indices)
        {
            Run(new Job { Kind = Kind.MaxBackward, InH = inH, InW = inW, OutH = outH, OutW = outW, Input = pdx, Output = pdy, Indices = pi }, planes);
        }
    }

    /// <summary>y = the sum of each window (padding counting as 0) divided by kernel height × width.</summary>
    public static void AverageForward(ReadOnlySpan<float> x, int planes, int inH, int inW, Pool2dGeometry geometry,
        int outH, int outW, Span<float> y) =>
        Run(Kind.AverageForward, x, planes, inH, inW, geometry, outH, outW, y);

    /// <summary>dx = 0, then each dy / (kernel height × width) is added to every input position of its window.</summary>
    public static void AverageBackward(ReadOnlySpan<float> dy, int planes, int inH, int inW, Pool2dGeometry geometry,
        int outH, int outW, Span<float> dx) =>
        Run(Kind.AverageBackward, dx, planes, inH, inW, geometry, outH, outW, dy);

    /// <summary>y[i, j] = the mean of rows ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1 and the same columns of W (PyTorch's bins).</summary>
    public static void AdaptiveAverageForward(ReadOnlySpan<float> x, int planes, int inH, int inW, int outH, int outW, Span<float> y) =>
        Run(Kind.AdaptiveForward, x, planes, inH, inW, default, outH, outW, y);

    /// <summary>dx = 0, then each dy divided by its bin's area is added to every input position of the bin.</summary>
    public static void AdaptiveAverageBackward(ReadOnlySpan<float> dy, int planes, int inH, int inW, int outH, int outW, Span<float> dx) =>
        Run(Kind.AdaptiveBackward, dx, planes, inH, inW, default, outH, outW, dy);

    /// <summary>The average kinds: input is the image side (x or dx), output the pooled side (y or dy).</summary>
    private static void Run(Kind kind, ReadOnlySpan<float> input, int planes, int inH, int inW, Pool2dGeometry geometry,
        int outH, int outW, ReadOnlySpan<float> output)
    {
        Check(planes, inH, inW, outH, outW, input.Length, output.Length);
        fixed (float* pin = input, pout = output)
        {
            Run(new Job { Kind = kind, Geometry = geometry, InH = inH, InW = inW, OutH = outH, OutW = outW, Input = pin, Output = pout }, planes);
        }
    }

    private static void Check(int planes, int inH, int inW, int outH, int outW, int input, int output)
    {
        if (input != (long)planes * inH * inW || output != (long)planes * outH * outW)
        {
            throw new ArgumentException(
                $"Pooling: {input} input and {output} output elements do not fit {planes} planes of {inH}×{inW} pooled to {outH}×{outW}.");
        }
    }

    private static void Run(Job job, int planes)
    {
        long size = (long)planes * job.InH * job.InW;
        int threads = (int)Math.Min(Math.Min(Parallelism.MaxThreads, planes), size / (ParallelThreshold / 2));
        if (threads < 2 || !Workers.TryRun(&Slab, &job, planes, 1, threads))
        {
            Slab(&job, 0, planes);
        }
    }

    private static void Slab(void* state, int start, int end)
    {
        var job = (Job*)state;
        int inPlane = job->InH * job->InW, outPlane = job->OutH * job->OutW;
        bool pairs = job->Kind == Kind.MaxForward && Pairwise(job);
        int[]? starts = job->Kind == Kind.MaxForward && !pairs && Gathered(job->Geometry) ? WindowStarts(job) : null;
        for (int p = start; p < end; p++)
        {
            float* input = job->Input + (long)p * inPlane, output = job->Output + (long)p * outPlane;
            switch (job->Kind)
            {
                case Kind.MaxForward when pairs:
                    MaxPlanePairwise(job, input, output, job->Indices + (long)p * outPlane);
                    break;
                case Kind.MaxForward when starts is not null:
                    MaxPlaneGathered(job, input, output, job->Indices + (long)p * outPlane, starts);
                    break;
                case Kind.MaxForward:
                    MaxPlane(job, input, output, job->Indices + (long)p * outPlane);
                    break;
                case Kind.MaxBackward:
                    new Span<float>(input, inPlane).Clear();
                    int* indices = job->Indices + (long)p * outPlane;
                    for (int o = 0; o < outPlane; o++)
                    {
                        input[indices[o]] += output[o];
                    }
                    break;
                case Kind.AverageForward:
                case Kind.AverageBackward:
                    AveragePlane(job, input, output, job->Kind == Kind.AverageBackward);
                    break;
                default:
                    AdaptivePlane(job, input, output, job->Kind == Kind.AdaptiveBackward);
                    break;
            }
        }
    }

    private static void MaxPlane(Job* job, float* x, float* y, int* indices)
    {
        var g = job->Geometry;
        int inH = job->InH, inW = job->InW;
        for (int oh = 0; oh < job->OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadH;
            int hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + g.KernelH, inH);
            for (int ow = 0; ow < job->OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadW;
                int wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + g.KernelW, inW);
                float max = float.NegativeInfinity;
                int index = hStart * inW + wStart;
                for (int h = hStart; h < hEnd; h++)
                {
                    for (int w = wStart; w < wEnd; w++)
                    {
                        float v = x[h * inW + w];
                        if (v > max || float.IsNaN(v))
                        {
                            max = v;
                            index = h * inW + w;
                        }
                    }
                }
                y[oh * job->OutW + ow] = max;
                indices[oh * job->OutW + ow] = index;
            }
        }
    }

    /// <summary>
    /// Whether max pooling gathers its windows 8 outputs at a time: without padding (every window lies inside the
    /// plane) on a CPU with AVX2 gathers, unless <see cref="Gemm.ForcedPath"/> asks for the scalar path. The scalar
    /// loop compares in an order the branch predictor cannot learn: a LeNet step at batch 128 spent as long there as in
    /// its two convolutions.
    /// </summary>
    private static bool Gathered(Pool2dGeometry g) =>
        g.PadH == 0 && g.PadW == 0 && Gemm.ActivePath is GemmPath.Avx512 or GemmPath.Avx2;

    /// <summary>
    /// Whether max pooling takes 2×2 windows at stride 2 (no padding) 4 outputs at a time from contiguous rows, on the
    /// CPUs of <see cref="Gathered"/>, where a row has at least 4 outputs. Gathers defeat the hardware prefetcher: LeNet's
    /// first pooling at batch 128, reading a ReLU output just streamed to memory, took 1.7–4 ms a step gathered.
    /// </summary>
    private static bool Pairwise(Job* job) =>
        job->Geometry is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0 } && job->OutW >= 4
        && Gathered(job->Geometry);

    /// <summary>
    /// <see cref="MaxPlane"/> for 2×2 windows at stride 2, 4 outputs at a time: two rows of 8 inputs split into their
    /// even and odd columns are the window's 4 taps, taken in the scalar loop's order, a tap winning when it is greater
    /// than the maximum so far or NaN. A row's last block overlaps the one before when 4 does not divide its width.
    /// </summary>
    private static void MaxPlanePairwise(Job* job, float* x, float* y, int* indices)
    {
        int inW = job->InW, outW = job->OutW;
        var columns = Vector128.Create(0, 2, 4, 6);
        for (int oh = 0; oh < job->OutH; oh++)
        {
            float* top = x + 2 * oh * inW, bottom = top + inW;
            for (int block = 0; block < outW; block += 4)
            {
                int ow = Math.Min(block, outW - 4);
                var t0 = Vector128.Load(top + 2 * ow);
                var t1 = Vector128.Load(top + 2 * ow + 4);
                var b0 = Vector128.Load(bottom + 2 * ow);
                var b1 = Vector128.Load(bottom + 2 * ow + 4);
                var at = Vector128.Create(2 * oh * inW + 2 * ow) + columns;
                // Shuffle 0b10_00_10_00 takes elements 0, 2 of each source (even columns), 0b11_01_11_01 elements 1, 3.
                var max = Sse.Shuffle(t0, t1, 0b10_00_10_00);
                var index = at;
                Take(Sse.Shuffle(t0, t1, 0b11_01_11_01), at + Vector128<int>.One, ref max, ref index);
                Take(Sse.Shuffle(b0, b1, 0b10_00_10_00), at + Vector128.Create(inW), ref max, ref index);
                Take(Sse.Shuffle(b0, b1, 0b11_01_11_01), at + Vector128.Create(inW + 1), ref max, ref index);
                max.Store(y + oh * outW + ow);
                index.Store(indices + oh * outW + ow);
            }
        }
    }

    /// <summary>max, index = v, tap in the lanes where v is greater than max or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector128<float> v, Vector128<int> tap, ref Vector128<float> max, ref Vector128<int> index)
    {
        var take = Vector128.GreaterThan(v, max) | ~Vector128.Equals(v, v);
        max = Vector128.ConditionalSelect(take, v, max);
        index = Vector128.ConditionalSelect(take.AsInt32(), tap, index);
    }

    /// <summary>Where each output's window starts within its plane: oh·sh·W + ow·sw.</summary>
    private static int[] WindowStarts(Job* job)
    {
        var starts = new int[job->OutH * job->OutW];
        for (int oh = 0, o = 0; oh < job->OutH; oh++)
        {
            for (int ow = 0; ow < job->OutW; ow++, o++)
            {
                starts[o] = oh * job->Geometry.StrideH * job->InW + ow * job->Geometry.StrideW;
            }
        }
        return starts;
    }

    /// <summary>
    /// <see cref="MaxPlane"/> for windows inside the plane, 8 outputs at a time: the taps are gathered in the same
    /// order, and a tap wins, as there, when it is greater than the maximum so far or NaN.
    /// </summary>
    private static void MaxPlaneGathered(Job* job, float* x, float* y, int* indices, int[] starts)
    {
        var g = job->Geometry;
        int inW = job->InW, count = starts.Length, o = 0;
        fixed (int* first = starts)
        {
            for (; o <= count - 8; o += 8)
            {
                var at = Vector256.Load(first + o);
                var max = Avx2.GatherVector256(x, at, 4);
                var index = at;
                for (int h = 0; h < g.KernelH; h++)
                {
                    for (int w = h == 0 ? 1 : 0; w < g.KernelW; w++)
                    {
                        var tap = at + Vector256.Create(h * inW + w);
                        var v = Avx2.GatherVector256(x, tap, 4);
                        var take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
                        max = Vector256.ConditionalSelect(take, v, max);
                        index = Vector256.ConditionalSelect(take.AsInt32(), tap, index);
                    }
                }
                max.Store(y + o);
                index.Store(indices + o);
            }
        }
        for (; o < count; o++)
        {
            float max = float.NegativeInfinity;
            int index = starts[o];
            for (int h = 0; h < g.KernelH; h++)
            {
                for (int w = 0; w < g.KernelW; w++)
                {
                    float v = x[starts[o] + h * inW + w];
                    if (v > max || float.IsNaN(v))
                    {
                        max = v;
                        index = starts[o] + h * inW + w;
                    }
                }
            }
            y[o] = max;
            indices[o] = index;
        }
    }

    /// <summary>Forward: y = window sum / area. Backward (x is dx): dx starts at 0 and each window gets dy / area.</summary>
    private static void AveragePlane(Job* job, float* x, float* y, bool backward)
    {
        var g = job->Geometry;
        int inW = job->InW;
        int area = g.KernelH * g.KernelW;
        if (backward)
        {
            new Span<float>(x, job->InH * inW).Clear();
        }
        for (int oh = 0; oh < job->OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadH;
            int hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + g.KernelH, job->InH);
            for (int ow = 0; ow < job->OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadW;
                int wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + g.KernelW, inW);
                Window(x, inW, hStart, hEnd, wStart, wEnd, ref y[oh * job->OutW + ow], area, 1, backward);
            }
        }
    }

    /// <summary>As <see cref="AveragePlane"/> over PyTorch's adaptive bins, each divided by its own area.</summary>
    private static void AdaptivePlane(Job* job, float* x, float* y, bool backward)
    {
        int inH = job->InH, inW = job->InW, outH = job->OutH, outW = job->OutW;
        if (backward)
        {
            new Span<float>(x, inH * inW).Clear();
        }
        for (int oh = 0; oh < outH; oh++)
        {
            int hStart = oh * inH / outH, hEnd = ((oh + 1) * inH + outH - 1) / outH;
            for (int ow = 0; ow < outW; ow++)
            {
                int wStart = ow * inW / outW, wEnd = ((ow + 1) * inW + outW - 1) / outW;
                Window(x, inW, hStart, hEnd, wStart, wEnd, ref y[oh * outW + ow], hEnd - hStart, wEnd - wStart, backward);
            }
        }
    }

    /// <summary>
    /// Forward: value = Σ window / first / second. Backward: adds value / first / second to every element of the
    /// window. Divisions, not a product with a reciprocal, to round as ATen does (avg_pool2d divides by the kernel area
    /// once, adaptive_avg_pool2d by the bin's height, then its width).
    /// </summary>
    private static void Window(float* x, int inW, int hStart, int hEnd, int wStart, int wEnd, ref float value, int first, int second, bool backward)
    {
        if (backward)
        {
            float share = value / first / second;
            for (int h = hStart; h < hEnd; h++)
            {
                for (int w = wStart; w < wEnd; w++)
                {
                    x[h * inW + w] += share;
                }
            }
            return;
        }
        float sum = 0;
        for (int h = hStart; h < hEnd; h++)
        {
            for (int w = wStart; w < wEnd; w++)
            {
                sum += x[h * inW + w];
            }
        }
        value = sum / first / second;
    }
}
