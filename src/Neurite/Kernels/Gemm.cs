namespace Neurite.Kernels;

/// <summary>
/// Single-precision general matrix multiply, BLAS style:
/// C = alpha·op(A)·op(B) + beta·C, with op(X) = X or Xᵀ, all row-major.
/// </summary>
/// <remarks>
/// op(A) is m×k, op(B) is k×n, C is m×n. lda, ldb and
/// ldc are the row strides of A, B and C as stored (before op).
/// NOTE: interim scalar implementation; the packed, blocked SIMD version replaces it.
/// </remarks>
public static class Gemm
{
    public static void Multiply(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref float cij = ref c[i * ldc + j];
                cij = beta == 0 ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
