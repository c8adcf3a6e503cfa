using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-D·1-D is a dot product; a 1-D operand is a row
    /// (left) or column (right) vector; otherwise the last two axes multiply and the leading (batch)
    /// axes broadcast. With <paramref name="transposeA"/> (<paramref name="transposeB"/>) the operand's last two axes
    /// are read transposed, so a [*, k, m] (b [*, n, k]) takes part as [*, m, k] ([*, k, n]) without a copy: Q·Kᵀ is
    /// MatMul(q, k, transposeB: true). ∂op(a) = g·op(b)ᵀ, ∂op(b) = op(a)ᵀ·g, each computed by GEMM with transpose
    /// flags, never a transposed copy.
    /// </summary>
    /// <exception cref="ArgumentException">An operand is a scalar, a transposed operand has fewer than two axes, the
    /// inner sizes differ, or the batch axes do not broadcast.</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw new ArgumentException(
                $"MatMul: both operands need at least one axis; got shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}.");
        }
        if ((transposeA && a.Rank < 2) || (transposeB && b.Rank < 2))
        {
            throw new ArgumentException(
                $"MatMul: a transposed operand needs at least two axes; got shapes {Shapes.Format(a.Shape)}{Flag(transposeA)} and {Shapes.Format(b.Shape)}{Flag(transposeB)}.");
        }
        if (a.Rank == 1 || b.Rank == 1)
        {
            // Promote vectors to matrices, multiply, then drop the added axes again.
            var a2 = a.Rank == 1 ? Reshape(a, [1, a.Shape[0]]) : a;
            var b2 = b.Rank == 1 ? Reshape(b, [b.Shape[0], 1]) : b;
            CheckInner(a, b, transposeA, transposeB);
            var product = MatMul(a2, b2, transposeA, transposeB);
            var shape = new List<int>(product.ShapeArray);
            if (b.Rank == 1)
            {
                shape.RemoveAt(shape.Count - 1);
            }
            if (a.Rank == 1)
            {
                shape.RemoveAt(shape.Count - (b.Rank == 1 ? 1 : 2));
            }
            return Reshape(product, shape.ToArray());
        }
        CheckInner(a, b, transposeA, transposeB);
        // The batch axes of a fold into its rows unless a is read transposed (its rows are then columns).
        return b.Rank == 2 && (!transposeA || a.Rank == 2)
            ? MatMulFolded(a, b, transposeA, transposeB)
            : MatMulBatched(a, b, transposeA, transposeB);
    }

    private static string Flag(bool transposed) => transposed ? " (transposed)" : "";

    private static void CheckInner(Tensor a, Tensor b, bool transposeA, bool transposeB)
    {
        int aInner = a.Rank == 1 ? a.Shape[0] : transposeA ? a.Shape[^2] : a.Shape[^1];
        int bInner = b.Rank == 1 ? b.Shape[0] : transposeB ? b.Shape[^1] : b.Shape[^2];
        if (aInner != bInner)
        {
            throw new ArgumentException(
                $"MatMul: shapes {Shapes.Format(a.Shape)}{Flag(transposeA)} and {Shapes.Format(b.Shape)}{Flag(transposeB)} do not align ({aInner} != {bInner}).");
        }
    }

    /// <summary>
    /// […, m, k]·op(b) with b a matrix, or a matrix op(a)·op(b): the batch axes of a fold into its rows, so one GEMM
    /// does all. A transposed operand is passed to GEMM as stored, with its flag.
    /// </summary>
    private static Tensor MatMulFolded(Tensor a, Tensor b, bool transA, bool transB)
    {
        int k = transA ? a.Shape[0] : a.Shape[^1];
        int rows = transA ? a.Shape[1] : Product(a.ShapeArray, 0, a.Rank - 1);
        int n = transB ? b.Shape[0] : b.Shape[1];
        int lda = transA ? rows : k, ldb = transB ? k : n;
        var shape = a.Shape.ToArray();
        shape[^2] = transA ? rows : shape[^2];
        shape[^1] = n;
        var y = Tensor.Empty(shape);
        Gemm.Multiply(transA, transB, rows, n, k, 1f, a.Data, lda, b.Data, ldb, 0f, y.Data, n);
        return Graph.RecordOp(y, nameof(MatMul), [a, b], g =>
        {
            Tensor? da = null, db = null;
            if (a.RequiresGrad)
            {
                da = Tensor.Empty(a.Shape);
                if (!transA)
                {
                    // ∂a = g·op(b)ᵀ: [rows, n]·[n, k]
                    Gemm.Multiply(false, !transB, rows, k, n, 1f, g.Data, n, b.Data, ldb, 0f, da.Data, k);
                }
                else
                {
                    // ∂a (stored [k, m]) = op(b)·gᵀ: [k, n]·[n, m]
                    Gemm.Multiply(transB, true, k, rows, n, 1f, b.Data, ldb, g.Data, n, 0f, da.Data, rows);
                }
            }
            if (b.RequiresGrad)
            {
                db = Tensor.Empty(b.Shape);
                if (!transB)
                {
                    // ∂b = op(a)ᵀ·g: [k, rows]·[rows, n]
                    Gemm.Multiply(!transA, false, k, n, rows, 1f, a.Data, lda, g.Data, n, 0f, db.Data, n);
                }
                else
                {
                    // ∂b (stored [n, k]) = gᵀ·op(a): [n, rows]·[rows, k]
                    Gemm.Multiply(true, transA, n, k, rows, 1f, g.Data, n, a.Data, lda, 0f, db.Data, k);
                }
            }
            return [da, db];
        });
    }

    /// <summary>op([…, m, k])·op([…, k, n]) with broadcast batch axes: one GEMM per batch entry.</summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b, bool transA, bool transB)
    {
        int m = transA ? a.Shape[^1] : a.Shape[^2], k = transA ? a.Shape[^2] : a.Shape[^1];
        int n = transB ? b.Shape[^2] : b.Shape[^1];
        var batch = Shapes.Broadcast(a.Shape[..^2], b.Shape[..^2], nameof(MatMul));
        var aFull = BroadcastTo(a.Detach(), [.. batch, a.Shape[^2], a.Shape[^1]]);
        var bFull = BroadcastTo(b.Detach(), [.. batch, b.Shape[^2], b.Shape[^1]]);
        int count = Product(batch, 0, batch.Length);
        var y = Tensor.Empty([.. batch, m, n]);
        BatchedGemm(count, transA, transB, m, n, k, aFull.Data, bFull.Data, y.Data);
        return Graph.RecordOp(y, nameof(MatMul), [a, b], g =>
        {
            Tensor? da = null, db = null;
            if (a.RequiresGrad)
            {
                var full = Tensor.Empty(aFull.Shape);
                if (!transA)
                {
                    // ∂a = g·op(b)ᵀ
                    BatchedGemm(count, false, !transB, m, k, n, g.Data, bFull.Data, full.Data);
                }
                else
                {
                    // ∂a (stored [k, m]) = op(b)·gᵀ
                    BatchedGemm(count, transB, true, k, m, n, bFull.Data, g.Data, full.Data);
                }
                da = SumTo(full, a.Shape);
            }
            if (b.RequiresGrad)
            {
                var full = Tensor.Empty(bFull.Shape);
                if (!transB)
                {
                    // ∂b = op(a)ᵀ·g
                    BatchedGemm(count, !transA, false, k, n, m, aFull.Data, g.Data, full.Data);
                }
                else
                {
                    // ∂b (stored [n, k]) = gᵀ·op(a)
                    BatchedGemm(count, true, transA, n, k, m, g.Data, aFull.Data, full.Data);
                }
                db = SumTo(full, b.Shape);
            }
            return [da, db];
        });
    }

    /// <summary>
    /// C[i] = op(A[i])·op(B[i]) for <paramref name="count"/> matrices stored one after another, row-major:
    /// op(A[i]) is m×k, op(B[i]) k×n, C[i] m×n; a transposed operand is stored transposed and read through the flag.
    /// </summary>
    private static void BatchedGemm(int count, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        for (int i = 0; i < count; i++)
        {
            Gemm.Multiply(transA, transB, m, n, k, 1f,
                a.Slice(i * m * k, m * k), lda, b.Slice(i * k * n, k * n), ldb, 0f, c.Slice(i * m * n, m * n), n);
        }
    }

    /// <summary>
    /// The affine map of torch.nn.functional.linear: y = x·Wᵀ + b, x [*, in], W [out, in], b [out].
    /// The bias is written into y first and GEMM accumulates onto it, so the add costs no extra pass.
    /// ∂x = g·W, ∂W = gᵀ·x, ∂b = Σ_rows g.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[1])
        {
            throw new ArgumentException(
                $"Linear: input {Shapes.Format(x.Shape)} does not fit weight {Shapes.Format(weight.Shape)} (expected input [*, {(weight.Rank == 2 ? weight.Shape[1] : "in")}] and weight [out, in]).");
        }
        int inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
        {
            throw new ArgumentException(
                $"Linear: bias {Shapes.Format(bias.Shape)} does not fit weight {Shapes.Format(weight.Shape)} (expected [{outFeatures}]).");
        }
        int rows = Product(x.ShapeArray, 0, x.Rank - 1);
        var shape = x.Shape.ToArray();
        shape[^1] = outFeatures;
        var y = Tensor.Empty(shape);
        if (bias is not null)
        {
            for (int r = 0; r < rows; r++)
            {
                bias.Data.CopyTo(y.Data.Slice(r * outFeatures, outFeatures));
            }
        }
        Gemm.Multiply(false, true, rows, outFeatures, inFeatures, 1f, x.Data, inFeatures, weight.Data, inFeatures,
            bias is null ? 0f : 1f, y.Data, outFeatures);
        return Graph.RecordOp(y, nameof(Linear), bias is null ? [x, weight] : [x, weight, bias], g =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Tensor.Empty(x.Shape);
                Gemm.Multiply(false, false, rows, inFeatures, outFeatures, 1f, g.Data, outFeatures, weight.Data, inFeatures,
                    0f, dx.Data, inFeatures);
            }
            if (weight.RequiresGrad)
            {
                dw = weight.GradientBuffer();
                Gemm.Multiply(true, false, outFeatures, inFeatures, rows, 1f, g.Data, outFeatures, x.Data, inFeatures,
                    0f, dw.Data, inFeatures);
            }
            if (bias is { RequiresGrad: true })
            {
                db = bias.GradientBuffer();
                Reductions.Sum(g.Data, 1, rows, outFeatures, db.Data);
            }
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }
}
