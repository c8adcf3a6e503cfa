using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-D·1-D is a dot product; a 1-D operand is a row
    /// (left) or column (right) vector; otherwise the last two axes multiply and the leading (batch)
    /// axes broadcast. ∂a = g·bᵀ, ∂b = aᵀ·g, each computed by GEMM with a transpose flag.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw new ArgumentException(
                $"MatMul: both operands need at least one axis; got shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}.");
        }
        if (a.Rank == 1 || b.Rank == 1)
        {
            // Promote vectors to matrices, multiply, then drop the added axes again.
            var a2 = a.Rank == 1 ? Reshape(a, [1, a.Shape[0]]) : a;
            var b2 = b.Rank == 1 ? Reshape(b, [b.Shape[0], 1]) : b;
            CheckInner(a, b, a2.Shape[^1], b2.Shape[^2]);
            var product = MatMul(a2, b2);
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
        CheckInner(a, b, a.Shape[^1], b.Shape[^2]);
        return b.Rank == 2 ? MatMulFolded(a, b) : MatMulBatched(a, b);
    }

    private static void CheckInner(Tensor a, Tensor b, int aInner, int bInner)
    {
        if (aInner != bInner)
        {
            throw new ArgumentException(
                $"MatMul: shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} do not align ({aInner} != {bInner}).");
        }
    }

    /// <summary>[…, m, k]·[k, n]: the batch axes of a fold into its rows, so one GEMM does all.</summary>
    private static Tensor MatMulFolded(Tensor a, Tensor b)
    {
        int k = a.Shape[^1], n = b.Shape[1];
        int rows = Product(a.ShapeArray, 0, a.Rank - 1);
        var shape = a.Shape.ToArray();
        shape[^1] = n;
        var y = Tensor.Empty(shape);
        Gemm.Multiply(false, false, rows, n, k, 1f, a.Data, k, b.Data, n, 0f, y.Data, n);
        return Graph.RecordOp(y, nameof(MatMul), [a, b], g =>
        {
            Tensor? da = null, db = null;
            if (a.RequiresGrad)
            {
                // ∂a = g·bᵀ: [rows, n]·[n, k]
                da = Tensor.Empty(a.Shape);
                Gemm.Multiply(false, true, rows, k, n, 1f, g.Data, n, b.Data, n, 0f, da.Data, k);
            }
            if (b.RequiresGrad)
            {
                // ∂b = aᵀ·g: [k, rows]·[rows, n]
                db = Tensor.Empty(b.Shape);
                Gemm.Multiply(true, false, k, n, rows, 1f, a.Data, k, g.Data, n, 0f, db.Data, n);
            }
            return [da, db];
        });
    }

    /// <summary>[…, m, k]·[…, k, n] with broadcast batch axes: one GEMM per batch entry.</summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b)
    {
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        var batch = Shapes.Broadcast(a.Shape[..^2], b.Shape[..^2], nameof(MatMul));
        var aFull = BroadcastTo(a.Detach(), [.. batch, m, k]);
        var bFull = BroadcastTo(b.Detach(), [.. batch, k, n]);
        int count = Product(batch, 0, batch.Length);
        var y = Tensor.Empty([.. batch, m, n]);
        BatchedGemm(count, false, false, m, n, k, aFull.Data, bFull.Data, y.Data);
        return Graph.RecordOp(y, nameof(MatMul), [a, b], g =>
        {
            Tensor? da = null, db = null;
            if (a.RequiresGrad)
            {
                var full = Tensor.Empty(aFull.Shape);
                BatchedGemm(count, false, true, m, k, n, g.Data, bFull.Data, full.Data);
                da = SumTo(full, a.Shape);
            }
            if (b.RequiresGrad)
            {
                var full = Tensor.Empty(bFull.Shape);
                BatchedGemm(count, true, false, k, n, m, aFull.Data, g.Data, full.Data);
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
