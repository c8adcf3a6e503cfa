using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>
/// Layer normalization's fused row passes (<see cref="LayerNormForward"/>, <see cref="LayerNormBackward"/>), and
/// batch normalization's passes over x viewed as [n, channels, size]: NCHW activations with size = H·W, [N, C, L]
/// with size = L, [N, C] with size 1. Per channel: the moments, the normalization y = (x − μ)·a + b, and the
/// backward's sums and input gradient.
/// </summary>
/// <remarks>
/// <para>With size &gt; 1 a channel's values lie in n contiguous runs of size floats, one per sample: each run goes
/// through Vector256 loops (a scalar loop for the tail and for CPUs without 256-bit vectors), its sum added into the
/// channel's double, and large tensors split their channels between threads (a channel is always done by one thread,
/// in sample order, so the results do not depend on the split). With size 1 the channels of a sample are one row, and
/// the passes go row by row through TensorPrimitives with per-channel spans.</para>
/// <para>Parameters and results per channel (mean, scale, …) are spans of <c>channels</c> floats.</para>
/// </remarks>
public static class Normalization
{
    /// <summary>From this many elements on, the channels are split between threads.</summary>
    private const int ParallelThreshold = 32 * 1024;

    /// <summary>μ[c] and the biased σ²[c] = Σ(x − μ[c])² / (n·size) over each channel's n·size values (two passes).</summary>
    public static unsafe void Moments(ReadOnlySpan<float> x, int n, int channels, int size, Span<float> mean, Span<float> variance)
    {
        Check(x.Length, n, channels, size, nameof(Moments));
        CheckChannels(channels, nameof(Moments), mean.Length, variance.Length);
        if (size == 1)
        {
            RowMoments(x, n, channels, mean, variance);
            return;
        }
        fixed (float* px = x, pm = mean, pv = variance)
        {
            var job = new Job { X = px, Mean = pm, A = pv, N = n, Channels = channels, Size = size };
            Run(&MomentsRange, &job);
        }
    }

    /// <summary>y = (x − mean[c])·scale[c] + shift[c]: the normalization with γ/√(σ² + ε) folded into scale and β as shift.</summary>
    public static unsafe void Normalize(ReadOnlySpan<float> x, int n, int channels, int size,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y)
    {
        Check(x.Length, n, channels, size, nameof(Normalize));
        Check(y.Length, n, channels, size, nameof(Normalize));
        CheckChannels(channels, nameof(Normalize), mean.Length, scale.Length, shift.Length);
        fixed (float* px = x, py = y, pm = mean, ps = scale, pt = shift)
        {
            var job = new Job { X = px, Destination = py, Mean = pm, A = ps, B = pt, N = n, Channels = channels, Size = size };
            if (size == 1)
            {
                RowNormalize(&job);
                return;
            }
            Run(&NormalizeRange, &job);
        }
    }

    /// <summary>The backward's sums per channel: sumG[c] = Σ g and dot[c] = Σ g·(x − mean[c]).</summary>
    public static unsafe void BackwardSums(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int n, int channels, int size,
        ReadOnlySpan<float> mean, Span<float> sumG, Span<float> dot)
    {
        Check(x.Length, n, channels, size, nameof(BackwardSums));
        Check(g.Length, n, channels, size, nameof(BackwardSums));
        CheckChannels(channels, nameof(BackwardSums), mean.Length, sumG.Length, dot.Length);
        if (size == 1)
        {
            RowBackwardSums(g, x, n, channels, mean, sumG, dot);
            return;
        }
        fixed (float* pg = g, px = x, pm = mean, ps = sumG, pd = dot)
        {
            var job = new Job { G = pg, X = px, Mean = pm, A = ps, B = pd, N = n, Channels = channels, Size = size };
            Run(&BackwardSumsRange, &job);
        }
    }

    /// <summary>
    /// dx = (g − offset[c] − (x − mean[c])·slope[c])·scale[c]: the input gradient, with offset = Σg/M,
    /// slope = Σ g·(x − μ)/(M·σ̂²) and scale = γ/σ̂ for batch statistics, or offset = slope = 0 for running ones.
    /// </summary>
    public static unsafe void InputGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int n, int channels, int size,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> offset, ReadOnlySpan<float> slope, ReadOnlySpan<float> scale, Span<float> dx)
    {
        Check(x.Length, n, channels, size, nameof(InputGradient));
        Check(g.Length, n, channels, size, nameof(InputGradient));
        Check(dx.Length, n, channels, size, nameof(InputGradient));
        CheckChannels(channels, nameof(InputGradient), mean.Length, offset.Length, slope.Length, scale.Length);
        fixed (float* pg = g, px = x, pdx = dx, pm = mean, po = offset, pk = slope, ps = scale)
        {
            var job = new Job { G = pg, X = px, Destination = pdx, Mean = pm, A = po, B = pk, C = ps, N = n, Channels = channels, Size = size };
            if (size == 1)
            {
                RowInputGradient(&job);
                return;
            }
            Run(&InputGradientRange, &job);
        }
    }

    /// <summary>
    /// The pointers and sizes of one call; what the per-channel pointers A, B and C hold depends on the pass (see each
    /// public method). The caller's spans stay pinned while any thread reads them.
    /// </summary>
    private unsafe struct Job
    {
        public float* X, G, Destination, Mean, A, B, C;
        public int N, Channels, Size;

        /// <summary>Channel c's values of sample i: size floats.</summary>
        public readonly float* At(float* data, int i, int c) => data + ((long)i * Channels + c) * Size;
    }

    /// <summary>Runs body over all channels, split between threads when the tensor is large.</summary>
    private static unsafe void Run(delegate*<void*, int, int, void> body, Job* job)
    {
        long count = (long)job->N * job->Channels * job->Size;
        int threads = Math.Min(Parallelism.MaxThreads, job->Channels);
        if (count >= ParallelThreshold && threads > 1 && Workers.TryRun(body, job, job->Channels, 1, threads))
        {
            return;
        }
        body(job, 0, job->Channels);
    }

    // Each range of channels goes through the samples in order, sample-major, so that memory is read in one stream of
    // (end − start)·size floats per sample; every channel still sums its runs in sample order, whatever the split.

    private static unsafe void MomentsRange(void* state, int start, int end)
    {
        var job = (Job*)state;
        int size = job->Size;
        double count = (double)job->N * size;
        var rent = ArrayPool<double>.Shared.Rent(end - start);
        var sums = rent.AsSpan(0, end - start);
        sums.Clear();
        for (int i = 0; i < job->N; i++)
        {
            for (int c = start; c < end; c++)
            {
                sums[c - start] += TensorPrimitives.Sum(new ReadOnlySpan<float>(job->At(job->X, i, c), size));
            }
        }
        for (int c = start; c < end; c++)
        {
            job->Mean[c] = (float)(sums[c - start] / count);
        }
        sums.Clear();
        for (int i = 0; i < job->N; i++)
        {
            for (int c = start; c < end; c++)
            {
                sums[c - start] += CenteredSquares(new ReadOnlySpan<float>(job->At(job->X, i, c), size), job->Mean[c]);
            }
        }
        for (int c = start; c < end; c++)
        {
            job->A[c] = (float)(sums[c - start] / count);
        }
        ArrayPool<double>.Shared.Return(rent);
    }

    private static unsafe void NormalizeRange(void* state, int start, int end)
    {
        var job = (Job*)state;
        for (int i = 0; i < job->N; i++)
        {
            for (int c = start; c < end; c++)
            {
                Normalize(new ReadOnlySpan<float>(job->At(job->X, i, c), job->Size), job->Mean[c], job->A[c], job->B[c],
                    new Span<float>(job->At(job->Destination, i, c), job->Size));
            }
        }
    }

    private static unsafe void BackwardSumsRange(void* state, int start, int end)
    {
        var job = (Job*)state;
        int size = job->Size, channels = end - start;
        var rent = ArrayPool<double>.Shared.Rent(2 * channels);
        var sums = rent.AsSpan(0, 2 * channels);
        sums.Clear();
        for (int i = 0; i < job->N; i++)
        {
            for (int c = start; c < end; c++)
            {
                var g = new ReadOnlySpan<float>(job->At(job->G, i, c), size);
                sums[c - start] += TensorPrimitives.Sum(g);
                sums[channels + c - start] += CenteredDot(g, new ReadOnlySpan<float>(job->At(job->X, i, c), size), job->Mean[c]);
            }
        }
        for (int c = start; c < end; c++)
        {
            job->A[c] = (float)sums[c - start];
            job->B[c] = (float)sums[channels + c - start];
        }
        ArrayPool<double>.Shared.Return(rent);
    }

    private static unsafe void InputGradientRange(void* state, int start, int end)
    {
        var job = (Job*)state;
        int size = job->Size;
        for (int i = 0; i < job->N; i++)
        {
            for (int c = start; c < end; c++)
            {
                InputGradient(new ReadOnlySpan<float>(job->At(job->G, i, c), size), new ReadOnlySpan<float>(job->At(job->X, i, c), size),
                    job->Mean[c], job->A[c], job->B[c], job->C[c], new Span<float>(job->At(job->Destination, i, c), size));
            }
        }
    }

    /// <summary>Σ (x − m)².</summary>
    private static float CenteredSquares(ReadOnlySpan<float> x, float m)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            var mv = Vector256.Create(m);
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var d = Vector256.LoadUnsafe(ref xr, (nuint)i) - mv;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - m;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Σ g·(x − m).</summary>
    private static float CenteredDot(ReadOnlySpan<float> g, ReadOnlySpan<float> x, float m)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float xr = ref MemoryMarshal.GetReference(x);
            var mv = Vector256.Create(m);
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, (nuint)i), Vector256.LoadUnsafe(ref xr, (nuint)i) - mv, acc);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            sum += g[i] * (x[i] - m);
        }
        return sum;
    }

    /// <summary>y = (x − m)·a + b.</summary>
    private static void Normalize(ReadOnlySpan<float> x, float m, float a, float b, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            var (mv, av, bv) = (Vector256.Create(m), Vector256.Create(a), Vector256.Create(b));
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i) - mv, av, bv).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(x[i] - m, a, b);
        }
    }

    /// <summary>dx = (g − o − (x − m)·k)·a.</summary>
    private static void InputGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> x, float m, float o, float k, float a, Span<float> dx)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float dr = ref MemoryMarshal.GetReference(dx);
            var (mv, ov, kv, av) = (Vector256.Create(m), Vector256.Create(o), Vector256.Create(k), Vector256.Create(a));
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var centered = mv - Vector256.LoadUnsafe(ref xr, (nuint)i);
                (Vector256.FusedMultiplyAdd(centered, kv, Vector256.LoadUnsafe(ref gr, (nuint)i) - ov) * av).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            dx[i] = MathF.FusedMultiplyAdd(m - x[i], k, g[i] - o) * a;
        }
    }

    // Size 1 ([N, C]): a sample's channels are one row of C floats, so each pass is vectorized along the row.

    private static void RowMoments(ReadOnlySpan<float> x, int n, int channels, Span<float> mean, Span<float> variance)
    {
        var rent = ArrayPool<float>.Shared.Rent(channels);
        var centered = rent.AsSpan(0, channels);
        mean.Clear();
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Add(mean, x.Slice(i * channels, channels), mean);
        }
        TensorPrimitives.Multiply(mean, 1f / n, mean);
        variance.Clear();
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Subtract(x.Slice(i * channels, channels), mean, centered);
            TensorPrimitives.MultiplyAdd(centered, centered, variance, variance);
        }
        TensorPrimitives.Multiply(variance, 1f / n, variance);
        ArrayPool<float>.Shared.Return(rent);
    }

    private static unsafe void RowNormalize(Job* job)
    {
        int channels = job->Channels;
        var mean = new ReadOnlySpan<float>(job->Mean, channels);
        var scale = new ReadOnlySpan<float>(job->A, channels);
        var shift = new ReadOnlySpan<float>(job->B, channels);
        for (int i = 0; i < job->N; i++)
        {
            var y = new Span<float>(job->Destination + (long)i * channels, channels);
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(job->X + (long)i * channels, channels), mean, y);
            TensorPrimitives.MultiplyAdd(y, scale, shift, y);
        }
    }

    private static void RowBackwardSums(ReadOnlySpan<float> g, ReadOnlySpan<float> x, int n, int channels, ReadOnlySpan<float> mean, Span<float> sumG, Span<float> dot)
    {
        var rent = ArrayPool<float>.Shared.Rent(channels);
        var centered = rent.AsSpan(0, channels);
        sumG.Clear();
        dot.Clear();
        for (int i = 0; i < n; i++)
        {
            var row = g.Slice(i * channels, channels);
            TensorPrimitives.Add(sumG, row, sumG);
            TensorPrimitives.Subtract(x.Slice(i * channels, channels), mean, centered);
            TensorPrimitives.MultiplyAdd(row, centered, dot, dot);
        }
        ArrayPool<float>.Shared.Return(rent);
    }

    private static unsafe void RowInputGradient(Job* job)
    {
        int channels = job->Channels;
        var mean = new ReadOnlySpan<float>(job->Mean, channels);
        var offset = new ReadOnlySpan<float>(job->A, channels);
        var slope = new ReadOnlySpan<float>(job->B, channels);
        var scale = new ReadOnlySpan<float>(job->C, channels);
        for (int i = 0; i < job->N; i++)
        {
            // dx = (g − o − (x − m)·k)·a, built in the destination row.
            var dx = new Span<float>(job->Destination + (long)i * channels, channels);
            TensorPrimitives.Subtract(mean, new ReadOnlySpan<float>(job->X + (long)i * channels, channels), dx);
            TensorPrimitives.MultiplyAdd(dx, slope, new ReadOnlySpan<float>(job->G + (long)i * channels, channels), dx);
            TensorPrimitives.Subtract(dx, offset, dx);
            TensorPrimitives.Multiply(dx, scale, dx);
        }
    }

    private static void Check(int length, int n, int channels, int size, string op)
    {
        if (n < 0 || channels < 1 || size < 1 || (long)n * channels * size != length)
        {
            throw new ArgumentException($"{op}: [n {n}, channels {channels}, size {size}] does not describe {length} elements.");
        }
    }

    private static void CheckChannels(int channels, string op, params ReadOnlySpan<int> lengths)
    {
        foreach (int length in lengths)
        {
            if (length < channels)
            {
                throw new ArgumentException($"{op}: a per-channel span holds {length} elements, fewer than the {channels} channels.");
            }
        }
    }

    /// <summary>
    /// y = the normalized rows of x, scaled by <paramref name="weight"/> and shifted by <paramref name="bias"/> when
    /// given (both or neither, n values each); <paramref name="mean"/> and <paramref name="rstd"/> receive μ and ρ per row.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormForward(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps,
        Span<float> y, Span<float> mean, Span<float> rstd)
    {
        Check(rows, n, x.Length, y.Length, mean.Length, rstd.Length, weight.Length, bias.Length, nameof(LayerNormForward));
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            var output = y.Slice(r * n, n);
            float mu = TensorPrimitives.Sum(row) / n;
            TensorPrimitives.Subtract(row, mu, output);
            float rho = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(output) / n + eps);
            TensorPrimitives.Multiply(output, rho, output);
            if (!weight.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(output, weight, bias, output);
            }
            (mean[r], rstd[r]) = (mu, rho);
        }
    }

    /// <summary>
    /// The gradients of x, γ and β (empty spans are not wanted) from g = ∂y, x and the forward pass's μ and ρ;
    /// <paramref name="scratch"/> holds 2·n floats.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNormBackward(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> g, Span<float> dx, Span<float> dWeight, Span<float> dBias, Span<float> scratch)
    {
        Check(rows, n, x.Length, g.Length, mean.Length, rstd.Length, weight.Length, weight.Length, nameof(LayerNormBackward));
        if ((!dx.IsEmpty && dx.Length < (long)rows * n) || (!dWeight.IsEmpty && dWeight.Length < n) || (!dBias.IsEmpty && dBias.Length < n) || scratch.Length < 2 * n)
        {
            throw new ArgumentException($"{nameof(LayerNormBackward)}: for {rows} rows of {n} values, dx needs {(long)rows * n} floats, dWeight and dBias {n}, scratch {2 * n}; got {dx.Length}, {dWeight.Length}, {dBias.Length} and {scratch.Length}.");
        }
        dWeight = dWeight.IsEmpty ? dWeight : dWeight[..n];
        dBias = dBias.IsEmpty ? dBias : dBias[..n];
        dWeight.Clear();
        dBias.Clear();
        var normalized = scratch[..n];
        var scaled = scratch.Slice(n, n);
        for (int r = 0; r < rows; r++)
        {
            var gradient = g.Slice(r * n, n);
            TensorPrimitives.Subtract(x.Slice(r * n, n), mean[r], normalized);
            TensorPrimitives.Multiply(normalized, rstd[r], normalized);
            if (!dWeight.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(gradient, normalized, dWeight, dWeight);
            }
            if (!dBias.IsEmpty)
            {
                TensorPrimitives.Add(dBias, gradient, dBias);
            }
            if (dx.IsEmpty)
            {
                continue;
            }
            ReadOnlySpan<float> gw = gradient;
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(gradient, weight, scaled);
                gw = scaled;
            }
            float a = TensorPrimitives.Sum(gw) / n, b = TensorPrimitives.Dot(gw, normalized) / n;
            var output = dx.Slice(r * n, n);
            // ∂x = ρ·(g′ − x̂·b − a)
            TensorPrimitives.MultiplyAdd(normalized, -b, gw, output);
            TensorPrimitives.Subtract(output, a, output);
            TensorPrimitives.Multiply(output, rstd[r], output);
        }
    }

    private static void Check(int rows, int n, int x, int y, int mean, int rstd, int weight, int bias, string method)
    {
        long count = (long)rows * n;
        if (rows < 0 || n < 1 || x < count || y < count || mean < rows || rstd < rows || (weight != 0 && weight < n) || (weight == 0) != (bias == 0) || (bias != 0 && bias < n))
        {
            throw new ArgumentException(
                $"{method}: {rows} rows of {n} values need x and y of {count} floats, mean and rstd of {rows}, and weight and bias of {n} or both empty; got {x}, {y}, {mean}, {rstd}, {weight} and {bias}.");
        }
    }
}
