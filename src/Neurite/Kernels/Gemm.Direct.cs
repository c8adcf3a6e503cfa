using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Above this m·n·k an unpacked product splits its columns of C between threads. A batch-1 layer reads its whole
    /// weight matrix once, at the speed of one core's L2 (1×256×784: 55 GFLOP/s on one thread); split in two, each
    /// core streams half of it. Below it, handing over costs more than it saves.
    /// </summary>
    private const long DirectParallelThreshold = 100_000;

    /// <summary>Direct, on one thread or, for a large enough product, on slabs of columns of C.</summary>
    private static unsafe void RunDirect(Problem problem)
    {
        const int Tile = 16;
        int threads = Math.Min(Parallelism.MaxThreads, (problem.N + Tile - 1) / Tile);
        if (threads < 2 || (long)problem.M * problem.N * problem.K < DirectParallelThreshold
            || !Workers.TryRun(&DirectSlab, &problem, problem.N, Tile, threads))
        {
            Direct(problem, ActivePath);
        }
    }

    private static unsafe void DirectSlab(void* problem, int start, int end) => Direct(((Problem*)problem)->Columns(start, end), ActivePath);

    /// <summary>
    /// Unpacked loops for problems too small to repay packing, such as batch-1 inference (1×784·784×256): each
    /// operand is read straight from where it lies, once per row of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Direct(Problem p, GemmPath path)
    {
        for (int i = 0; i < p.M; i++)
        {
            float* a = p.A + i * p.ARow, c = p.C + i * p.Ldc;
            if (p.BColumn == 1)
            {
                RowTimesMatrix(a, p.ADepth, p.B, p.BDepth, c, p.N, p.K, p.Alpha, p.Beta, path);
            }
            else
            {
                RowDotRows(a, p.B, p.BColumn, c, p.N, p.K, p.Alpha, p.Beta, path);
            }
        }
    }

    /// <summary>c[j] = alpha·Σₚ a[p·aStride]·b[p·ldb + j] + beta·c[j]: rows of B scaled and summed, in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowTimesMatrix(
        float* a, nint aStride, float* b, nint ldb, float* c, int n, int k, float alpha, float beta, GemmPath path)
    {
        int j = 0;
        if (path == GemmPath.Avx512)
        {
            for (; j <= n - 64; j += 64)
            {
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                float* bj = b + j;
                for (int q = 0; q < k; q++, bj += ldb)
                {
                    var x = Vector512.Create(a[q * aStride]);
                    s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bj), s0);
                    s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bj + 16), s1);
                    s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bj + 32), s2);
                    s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(bj + 48), s3);
                }
                Update(c + j, s0, alpha, beta);
                Update(c + j + 16, s1, alpha, beta);
                Update(c + j + 32, s2, alpha, beta);
                Update(c + j + 48, s3, alpha, beta);
            }
        }
        if (path is GemmPath.Avx512 or GemmPath.Avx2)
        {
            for (; j <= n - 8; j += 8)
            {
                Vector256<float> s = default;
                float* bj = b + j;
                for (int q = 0; q < k; q++, bj += ldb)
                {
                    s = Vector256.FusedMultiplyAdd(Vector256.Create(a[q * aStride]), Vector256.Load(bj), s);
                }
                var result = s * alpha;
                if (beta != 0)
                {
                    result = Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c + j), result);
                }
                result.Store(c + j);
            }
        }
        for (; j < n; j++)
        {
            float s = 0;
            for (int q = 0; q < k; q++)
            {
                s += a[q * aStride] * b[q * ldb + j];
            }
            c[j] = beta == 0 ? alpha * s : alpha * s + beta * c[j];
        }
    }

    /// <summary>
    /// c[j] = alpha·(a · row j of B) + beta·c[j], with a and the rows of B contiguous along k. Four rows of B at a
    /// time where the vector paths allow (<see cref="FourRowDots"/>); each dot product takes the same steps either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowDotRows(float* a, float* b, nint ldb, float* c, int n, int k, float alpha, float beta, GemmPath path)
    {
        int j = 0;
        if (path is GemmPath.Avx512 or GemmPath.Avx2)
        {
            for (; j <= n - 4; j += 4)
            {
                FourRowDots(a, b + j * ldb, ldb, c + j, k, alpha, beta, path);
            }
        }
        for (; j < n; j++)
        {
            float* bj = b + j * ldb;
            int q = 0;
            float s = 0;
            if (path == GemmPath.Avx512)
            {
                Vector512<float> s0 = default, s1 = default;
                for (; q <= k - 32; q += 32)
                {
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + q), Vector512.Load(bj + q), s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + q + 16), Vector512.Load(bj + q + 16), s1);
                }
                s = Vector512.Sum(s0 + s1);
            }
            if (path is GemmPath.Avx512 or GemmPath.Avx2)
            {
                Vector256<float> s0 = default;
                for (; q <= k - 8; q += 8)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + q), Vector256.Load(bj + q), s0);
                }
                s += Vector256.Sum(s0);
            }
            for (; q < k; q++)
            {
                s += a[q] * bj[q];
            }
            c[j] = beta == 0 ? alpha * s : alpha * s + beta * c[j];
        }
    }

    /// <summary>
    /// <see cref="RowDotRows"/> on four rows of B at once: the same sums, in the same order, for each row (two
    /// Vector512 accumulators, then one Vector256, then scalars), interleaved so that eight or four independent chains
    /// of fused multiply-adds hide their latency and each load of a serves four rows; a single dot product waits on its
    /// one chain (batch-1 inference of 1×784·784×256 spent most of its time there).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FourRowDots(float* a, float* b, nint ldb, float* c, int k, float alpha, float beta, GemmPath path)
    {
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int q = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (path == GemmPath.Avx512)
        {
            Vector512<float> x0 = default, y0 = default, x1 = default, y1 = default;
            Vector512<float> x2 = default, y2 = default, x3 = default, y3 = default;
            for (; q <= k - 32; q += 32)
            {
                var low = Vector512.Load(a + q);
                var high = Vector512.Load(a + q + 16);
                x0 = Vector512.FusedMultiplyAdd(low, Vector512.Load(b0 + q), x0);
                y0 = Vector512.FusedMultiplyAdd(high, Vector512.Load(b0 + q + 16), y0);
                x1 = Vector512.FusedMultiplyAdd(low, Vector512.Load(b1 + q), x1);
                y1 = Vector512.FusedMultiplyAdd(high, Vector512.Load(b1 + q + 16), y1);
                x2 = Vector512.FusedMultiplyAdd(low, Vector512.Load(b2 + q), x2);
                y2 = Vector512.FusedMultiplyAdd(high, Vector512.Load(b2 + q + 16), y2);
                x3 = Vector512.FusedMultiplyAdd(low, Vector512.Load(b3 + q), x3);
                y3 = Vector512.FusedMultiplyAdd(high, Vector512.Load(b3 + q + 16), y3);
            }
            s0 = Vector512.Sum(x0 + y0);
            s1 = Vector512.Sum(x1 + y1);
            s2 = Vector512.Sum(x2 + y2);
            s3 = Vector512.Sum(x3 + y3);
        }
        Vector256<float> z0 = default, z1 = default, z2 = default, z3 = default;
        for (; q <= k - 8; q += 8)
        {
            var part = Vector256.Load(a + q);
            z0 = Vector256.FusedMultiplyAdd(part, Vector256.Load(b0 + q), z0);
            z1 = Vector256.FusedMultiplyAdd(part, Vector256.Load(b1 + q), z1);
            z2 = Vector256.FusedMultiplyAdd(part, Vector256.Load(b2 + q), z2);
            z3 = Vector256.FusedMultiplyAdd(part, Vector256.Load(b3 + q), z3);
        }
        s0 += Vector256.Sum(z0);
        s1 += Vector256.Sum(z1);
        s2 += Vector256.Sum(z2);
        s3 += Vector256.Sum(z3);
        for (; q < k; q++)
        {
            s0 += a[q] * b0[q];
            s1 += a[q] * b1[q];
            s2 += a[q] * b2[q];
            s3 += a[q] * b3[q];
        }
        c[0] = beta == 0 ? alpha * s0 : alpha * s0 + beta * c[0];
        c[1] = beta == 0 ? alpha * s1 : alpha * s1 + beta * c[1];
        c[2] = beta == 0 ? alpha * s2 : alpha * s2 + beta * c[2];
        c[3] = beta == 0 ? alpha * s3 : alpha * s3 + beta * c[3];
    }

    private static unsafe void Update(float* c, Vector512<float> sum, float alpha, float beta)
    {
        var result = sum * alpha;
        if (beta != 0)
        {
            result = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c), result);
        }
        result.Store(c);
    }
}
