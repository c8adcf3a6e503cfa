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

    /// <summary>c[j] = alpha·(a · row j of B) + beta·c[j], with a and the rows of B contiguous along k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowDotRows(float* a, float* b, nint ldb, float* c, int n, int k, float alpha, float beta, GemmPath path)
    {
        for (int j = 0; j < n; j++)
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
