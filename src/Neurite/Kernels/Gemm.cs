using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Neurite.Kernels;

/// <summary>Which micro-kernel family <see cref="Gemm"/> runs.</summary>
public enum GemmPath
{
    /// <summary>The fastest path this CPU supports.</summary>
    Auto,

    /// <summary>Vector512 micro-kernel (AVX-512F).</summary>
    Avx512,

    /// <summary>Vector256 micro-kernel with fused multiply-add (AVX2 + FMA).</summary>
    Avx2,

    /// <summary>Portable scalar micro-kernel.</summary>
    Scalar,
}

/// <summary>
/// Single-precision general matrix multiply, BLAS style:
/// C = alpha·op(A)·op(B) + beta·C, with op(X) = X or Xᵀ, all row-major.
/// </summary>
/// <remarks>
/// GotoBLAS/BLIS structure: panels of op(A) and op(B) are packed (transposes are resolved while packing) into
/// cache-sized blocks, and a register-blocked micro-kernel computes one Mr×Nr tile of C at a time.
/// </remarks>
public static partial class Gemm
{
    private const string PathVariable = "NEURITE_GEMM_PATH";

    private static volatile GemmPath _forcedPath = ParsePathVariable(Environment.GetEnvironmentVariable(PathVariable));

    /// <summary>
    /// Forces one micro-kernel family for every later call in the process; <see cref="GemmPath.Auto"/> (the
    /// default, unless the environment variable NEURITE_GEMM_PATH = auto|avx512|avx2|scalar says otherwise at
    /// startup) picks the fastest one this CPU supports.
    /// </summary>
    /// <exception cref="NotSupportedException">The CPU cannot run the path.</exception>
    public static GemmPath ForcedPath
    {
        get => _forcedPath;
        set
        {
            if (!IsSupported(value))
            {
                throw new NotSupportedException($"GEMM path {value} is not supported on this CPU.");
            }
            _forcedPath = value;
        }
    }

    /// <summary>The path that runs now: <see cref="ForcedPath"/> with <see cref="GemmPath.Auto"/> resolved.</summary>
    public static GemmPath ActivePath => _forcedPath switch
    {
        GemmPath.Auto when Vector512.IsHardwareAccelerated && Avx512F.IsSupported => GemmPath.Avx512,
        GemmPath.Auto when Avx2.IsSupported && Fma.IsSupported => GemmPath.Avx2,
        GemmPath.Auto => GemmPath.Scalar,
        var forced => forced,
    };

    /// <summary>Whether this CPU can run <paramref name="path"/>.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Auto or GemmPath.Scalar => true,
        GemmPath.Avx512 => Avx512F.IsSupported,
        GemmPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C, where op(A) is m×k, op(B) is k×n and C is m×n, all row-major;
    /// op(X) = Xᵀ when the matching trans flag is set. A is stored m×k (k×m when <paramref name="transA"/>),
    /// B is stored k×n (n×k when <paramref name="transB"/>); lda, ldb and ldc are the row strides of the
    /// stored matrices, so submatrices can be passed. When beta is 0, C is not read (it may hold NaN);
    /// when k is 0 or alpha is 0, A and B are not read and C = beta·C.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative, a stride is shorter than its stored row, or a
    /// span is too short for the matrix it holds; the message names the argument and the sizes.</exception>
    public static unsafe void Multiply(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0)
            {
                Scale(m, n, beta, pc, ldc);
                return;
            }

            var problem = new Problem(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            var path = ActivePath;
            if (UseDirect(transA, transB, m, n, k))
            {
                RunDirect(problem);
                return;
            }
            switch (path)
            {
                case GemmPath.Avx512:
                    Run<Avx512Kernel14x32>(problem, Avx512Blocking);
                    break;
                case GemmPath.Avx2:
                    Run<Avx2FmaKernel6x16>(problem, Avx2Blocking);
                    break;
                default:
                    Run<ScalarKernel4x4>(problem, ScalarBlocking);
                    break;
            }
        }
    }

    /// <summary>NEURITE_GEMM_PATH, read once at startup; a value that is unknown or unsupported here throws.</summary>
    internal static GemmPath ParsePathVariable(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return GemmPath.Auto;
        }
        if (!Enum.TryParse(value, ignoreCase: true, out GemmPath path) || !Enum.IsDefined(path))
        {
            throw new ArgumentException($"{PathVariable} = '{value}' is not one of auto, avx512, avx2, scalar.");
        }
        if (!IsSupported(path))
        {
            throw new NotSupportedException($"{PathVariable} = '{value}': GEMM path {path} is not supported on this CPU.");
        }
        return path;
    }

    /// <summary>
    /// Packing costs more than it saves for a few rows of A (m ≤ 4: 1×256×784 runs at 45 GFLOP/s unpacked, 9
    /// packed; m = 8 is faster packed) or a tiny product (16³: 21 vs 15; 24³: 26 vs 33). The unpacked loops need
    /// a row of op(A) or a column of op(B) along k contiguous, so Aᵀ·Bᵀ always packs.
    /// </summary>
    private static bool UseDirect(bool transA, bool transB, int m, int n, int k) =>
        (!transA || !transB) && (m <= 4 || (long)m * n * k <= 20 * 20 * 20);

    private static void Validate(
        bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0)
        {
            return;
        }
        ValidateMatrix("A", "a", "lda", transA ? k : m, transA ? m : k, transA, aLength, lda);
        ValidateMatrix("B", "b", "ldb", transB ? n : k, transB ? k : n, transB, bLength, ldb);
        ValidateMatrix("C", "c", "ldc", m, n, false, cLength, ldc);
    }

    /// <remarks>Messages are built only on failure: a small product runs in microseconds, and allocating on every call
    /// made the collector run (and touch fresh pages) every few milliseconds.</remarks>
    private static void ValidateMatrix(string matrix, string span, string stride, int rows, int cols, bool trans, int length, int ld)
    {
        if (ld < cols || ld < 0)
        {
            throw new ArgumentException(
                $"{stride} = {ld} is less than the {cols} columns of a row: {Stored(matrix, rows, cols, trans)}.", stride);
        }
        // The last row needs only cols elements, not a full stride.
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{span} has {length} elements, but {Stored(matrix, rows, cols, trans)} with {stride} = {ld} needs {needed}.", span);
        }
    }

    private static string Stored(string matrix, int rows, int cols, bool trans) =>
        $"{matrix} is stored {rows}×{cols}{(trans ? " (transposed)" : "")}";

    private static unsafe void Scale(int m, int n, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else if (beta != 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }
}
