using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Neurite.Kernels;

/// <summary>A register-blocked micro-kernel: one Mr×Nr tile of C from packed panels.</summary>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of the C tile (and width of a packed A panel).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of the C tile (and width of a packed B panel).</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// C[0..Mr, 0..Nr] = alpha·Σₚ a[p·Mr + i]·b[p·Nr + j] + beta·C, C row stride ldc; beta == 0 does not read C.
    /// </summary>
    static abstract void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);
}

public static partial class Gemm
{
    /// <summary>
    /// Cache blocking: a packed Kc×Nr panel of B stays in L1 while the micro-kernel sweeps the packed Mc×Kc block
    /// of A, which stays in L2; the packed Kc×Nc block of B is reused from L2/L3 for every block of A.
    /// </summary>
    private readonly record struct Blocking(int Mc, int Kc, int Nc);

    private static readonly Blocking Avx512Blocking = new(Mc: 14 * 12, Kc: 512, Nc: 4096);
    private static readonly Blocking Avx2Blocking = new(Mc: 6 * 24, Kc: 256, Nc: 4096);
    private static readonly Blocking ScalarBlocking = new(Mc: 4 * 32, Kc: 256, Nc: 1024);

    /// <summary>Below this m·n·k one thread is faster than two (measured: 32³ 79 vs 53 GFLOP/s, 48³ 79 vs 96).</summary>
    private const long ParallelThreshold = 40L * 40 * 40;

    [ThreadStatic]
    private static float[]? _packA;

    [ThreadStatic]
    private static float[]? _packB;

    /// <summary>One multiplication, operands as raw pointers; A(i,p) = a[i·aRow + p·aDepth] and so on.</summary>
    private readonly unsafe struct Problem
    {
        public readonly int M, N, K;
        public readonly float Alpha, Beta;
        public readonly float* A, B, C;
        public readonly nint ARow, ADepth, BDepth, BColumn, Ldc;

        public Problem(
            bool transA, bool transB, int m, int n, int k, float alpha,
            float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
            : this(m, n, k, alpha, beta, a, b, c,
                transA ? 1 : lda, transA ? lda : 1, transB ? 1 : ldb, transB ? ldb : 1, ldc)
        {
        }

        private Problem(
            int m, int n, int k, float alpha, float beta, float* a, float* b, float* c,
            nint aRow, nint aDepth, nint bDepth, nint bColumn, nint ldc)
        {
            (M, N, K, Alpha, Beta) = (m, n, k, alpha, beta);
            A = a;
            B = b;
            C = c;
            (ARow, ADepth, BDepth, BColumn, Ldc) = (aRow, aDepth, bDepth, bColumn, ldc);
        }

        public Problem Rows(int start, int end) =>
            new(end - start, N, K, Alpha, Beta, A + start * ARow, B, C + start * Ldc, ARow, ADepth, BDepth, BColumn, Ldc);

        public Problem Columns(int start, int end) =>
            new(M, end - start, K, Alpha, Beta, A, B + start * BColumn, C + start, ARow, ADepth, BDepth, BColumn, Ldc);
    }

    private static unsafe void Run<TKernel>(Problem problem, Blocking blocking)
        where TKernel : struct, IGemmKernel
    {
        int threads = Parallelism.MaxThreads;
        if (threads == 1 || (long)problem.M * problem.N * problem.K < ParallelThreshold)
        {
            Blocked<TKernel>(problem, blocking);
            return;
        }

        // Each thread takes a slab of C along the longer side, in whole tiles, and packs its own panels: the
        // operand all threads share (B for row slabs, A for column slabs) is the smaller one and gets packed twice.
        var job = new SlabJob(problem, blocking, ByRows: problem.M >= problem.N);
        int tile = job.ByRows ? TKernel.Mr : TKernel.Nr;
        int extent = job.ByRows ? problem.M : problem.N;
        threads = Math.Min(threads, (extent + tile - 1) / tile);
        if (threads == 1 || !Workers.TryRun(&BlockedSlab<TKernel>, &job, extent, tile, threads))
        {
            Blocked<TKernel>(problem, blocking);
        }
    }

    /// <summary>A multiplication split into slabs of rows or of columns of C.</summary>
    private readonly record struct SlabJob(Problem Problem, Blocking Blocking, bool ByRows);

    private static unsafe void BlockedSlab<TKernel>(void* state, int start, int end)
        where TKernel : struct, IGemmKernel
    {
        var job = (SlabJob*)state;
        Blocked<TKernel>(job->ByRows ? job->Problem.Rows(start, end) : job->Problem.Columns(start, end), job->Blocking);
    }

    /// <summary>The single-threaded five-loop GotoBLAS algorithm on one problem.</summary>
    /// <remarks>The edge tile is not zeroed on entry (<see cref="SkipLocalsInitAttribute"/>): the kernel writes all of it
    /// with beta 0 before <see cref="MergeTile"/> reads it.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static unsafe void Blocked<TKernel>(Problem p, Blocking blocking)
        where TKernel : struct, IGemmKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int kcMax = Math.Min(blocking.Kc, p.K);
        int mcMax = Math.Min(blocking.Mc, RoundUp(p.M, mr));
        int ncMax = Math.Min(blocking.Nc, RoundUp(p.N, nr));
        float* packA = Rent(ref _packA, mcMax * kcMax);
        float* packB = Rent(ref _packB, kcMax * ncMax);
        float* tile = stackalloc float[mr * nr];

        for (int jc = 0; jc < p.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, p.N - jc);
            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                // The first block of k applies the caller's beta; later blocks accumulate onto it.
                float beta = pc == 0 ? p.Beta : 1f;
                Pack(p.B + pc * p.BDepth + jc * p.BColumn, p.BColumn, p.BDepth, nc, kc, nr, packB);
                for (int ic = 0; ic < p.M; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, p.M - ic);
                    Pack(p.A + ic * p.ARow + pc * p.ADepth, p.ARow, p.ADepth, mc, kc, mr, packA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrb = Math.Min(nr, nc - jr);
                        float* b = packB + jr * kc;
                        float* c = p.C + ic * p.Ldc + jc + jr;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mrb = Math.Min(mr, mc - ir);
                            float* a = packA + ir * kc;
                            if (mrb == mr && nrb == nr)
                            {
                                TKernel.Run(kc, a, b, c + ir * p.Ldc, p.Ldc, p.Alpha, beta);
                            }
                            else
                            {
                                // Edge tile: the zero-padded panels give a full tile; only its valid part is kept.
                                TKernel.Run(kc, a, b, tile, nr, 1f, 0f);
                                MergeTile(tile, nr, mrb, nrb, c + ir * p.Ldc, p.Ldc, p.Alpha, beta);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>C = alpha·tile + beta·C on the valid rows × columns of an edge tile; beta == 0 does not read C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MergeTile(float* tile, int nr, int rows, int columns, float* c, nint ldc, float alpha, float beta)
    {
        var alphas = Vector256.Create(alpha);
        var betas = Vector256.Create(beta);
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * nr, ci = c + i * ldc;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= columns - 8; j += 8)
                {
                    var result = alphas * Vector256.Load(t + j);
                    if (beta != 0)
                    {
                        result += betas * Vector256.Load(ci + j);
                    }
                    result.Store(ci + j);
                }
            }
            for (; j < columns; j++)
            {
                ci[j] = beta == 0 ? alpha * t[j] : alpha * t[j] + beta * ci[j];
            }
        }
    }

    /// <summary>
    /// Packs a width×kc block, element (w, p) at src[w·stride + p·depthStride], into panels of panelWidth
    /// columns: panel q holds dst[q·panelWidth·kc + p·panelWidth + w]; the last panel is padded with zeros.
    /// </summary>
    /// <remarks>Optimized from its first call, as the kernels are: left to tiering, a process's first few hundred
    /// milliseconds of small products ran the packing unoptimized (64³ on one thread: 12 µs a product instead of 4).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Pack(float* src, nint stride, nint depthStride, int width, int kc, int panelWidth, float* dst)
    {
        for (int w0 = 0; w0 < width; w0 += panelWidth)
        {
            int wn = Math.Min(panelWidth, width - w0);
            if (stride == 1)
            {
                PackRows(src + w0, depthStride, wn, kc, panelWidth, dst);
            }
            else
            {
                PackColumns(src + w0 * stride, stride, depthStride, wn, kc, panelWidth, dst);
            }
            dst += panelWidth * kc;
        }
    }

    /// <summary>The panel's rows are contiguous in the source: copy each (overlapping 16- or 8-wide copies).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackRows(float* src, nint depthStride, int wn, int kc, int panelWidth, float* dst)
    {
        for (int p = 0; p < kc; p++, src += depthStride, dst += panelWidth)
        {
            if (wn >= 16 && Vector512.IsHardwareAccelerated)
            {
                int w = 0;
                for (; w <= wn - 16; w += 16)
                {
                    Vector512.Store(Vector512.Load(src + w), dst + w);
                }
                if (w < wn)
                {
                    Vector512.Store(Vector512.Load(src + wn - 16), dst + wn - 16);
                }
            }
            else if (wn >= 8 && Vector256.IsHardwareAccelerated)
            {
                int w = 0;
                for (; w <= wn - 8; w += 8)
                {
                    Vector256.Store(Vector256.Load(src + w), dst + w);
                }
                if (w < wn)
                {
                    Vector256.Store(Vector256.Load(src + wn - 8), dst + wn - 8);
                }
            }
            else
            {
                for (int w = 0; w < wn; w++)
                {
                    dst[w] = src[w];
                }
            }
            for (int w = wn; w < panelWidth; w++)
            {
                dst[w] = 0;
            }
        }
    }

    /// <summary>
    /// The panel's columns run along k in the source: a transposing copy, by 8×8 blocks in registers where
    /// AVX allows (a panel of 14 takes two overlapping blocks of 8 rows), elementwise for the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackColumns(float* src, nint stride, nint depthStride, int wn, int kc, int panelWidth, float* dst)
    {
        int p0 = 0;
        if (Avx.IsSupported && depthStride == 1 && wn >= 8)
        {
            for (; p0 <= kc - 8; p0 += 8)
            {
                for (int w0 = 0; w0 < wn; w0 += 8)
                {
                    int w = Math.Min(w0, wn - 8);
                    Transpose8x8(src + w * stride + p0, stride, dst + p0 * panelWidth + w, panelWidth);
                }
            }
        }
        for (int w = 0; w < wn; w++)
        {
            float* s = src + w * stride, d = dst + w;
            for (int p = p0; p < kc; p++)
            {
                d[p * panelWidth] = s[p * depthStride];
            }
        }
        // The zero padding of a last, narrower panel: a few elements per k, cheaper stored in place than by Span.Clear calls.
        for (int p = 0; p < kc && wn < panelWidth; p++)
        {
            for (int w = wn; w < panelWidth; w++)
            {
                dst[p * panelWidth + w] = 0;
            }
        }
    }

    /// <summary>d[q·ldd + r] = s[r·lds + q] for r, q in 0..8: unpack pairs, then quads, then 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* s, nint lds, float* d, nint ldd)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds);
        var r3 = Avx.LoadVector256(s + 3 * lds);
        var r4 = Avx.LoadVector256(s + 4 * lds);
        var r5 = Avx.LoadVector256(s + 5 * lds);
        var r6 = Avx.LoadVector256(s + 6 * lds);
        var r7 = Avx.LoadVector256(s + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>A 64-byte-aligned pointer into a pinned per-thread buffer of at least length floats.</summary>
    private static unsafe float* Rent(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
        }
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)((address + 63) & ~(nint)63);
    }
}
