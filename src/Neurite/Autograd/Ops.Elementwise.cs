using Neurite.Kernels;
using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Autograd;

/// <summary>
/// Differentiable ops. Each op computes its result with the kernels and records its backward
/// beside it; broadcasting's backward sums the gradient back to each input's shape (SumTo).
/// </summary>
public static partial class Ops
{
    /// <summary>The broadcast result of TOp(a, b), without recording a graph.</summary>
    private static Tensor Binary<TOp>(Tensor a, Tensor b, string op)
        where TOp : IBinaryOperator
    {
        if (Shapes.SameShape(a.Shape, b.Shape))
        {
            var same = Tensor.Empty(a.Shape);
            TOp.Invoke(a.Data, b.Data, same.Data);
            return same;
        }
        var shape = Shapes.Broadcast(a.Shape, b.Shape, op);
        var y = Tensor.Empty(shape);
        if (b.Count == 1 && Shapes.SameShape(shape, a.Shape))
        {
            TOp.Invoke(a.Data, b.Data[0], y.Data);
        }
        else if (a.Count == 1 && Shapes.SameShape(shape, b.Shape))
        {
            TOp.Invoke(a.Data[0], b.Data, y.Data);
        }
        else
        {
            Elementwise.Broadcast<TOp>(
                a.Data, Shapes.BroadcastStrides(a.Shape, shape),
                b.Data, Shapes.BroadcastStrides(b.Shape, shape),
                shape, y.Data);
        }
        return y;
    }

    /// <summary>Element-wise a + b. ∂a = g, ∂b = g (each summed back to its shape).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = Binary<AddOperator>(a, b, nameof(Add));
        return Graph.RecordOp(y, nameof(Add), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(g, a.Shape) : null,
            b.RequiresGrad ? SumTo(g, b.Shape) : null,
        ]);
    }

    /// <summary>Element-wise a − b. ∂a = g, ∂b = −g.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = Binary<SubtractOperator>(a, b, nameof(Sub));
        return Graph.RecordOp(y, nameof(Sub), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(g, a.Shape) : null,
            b.RequiresGrad ? SumTo(Neg(g), b.Shape) : null,
        ]);
    }

    /// <summary>Element-wise a·b. ∂a = g·b, ∂b = g·a.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = Binary<MultiplyOperator>(a, b, nameof(Mul));
        return Graph.RecordOp(y, nameof(Mul), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(Mul(g, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(g, a), b.Shape) : null,
        ]);
    }

    /// <summary>Element-wise a / b. ∂a = g / b, ∂b = −g·a / b² = −g·y / b.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = Binary<DivideOperator>(a, b, nameof(Div));
        return Graph.RecordOp(y, nameof(Div), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(Div(g, b), a.Shape) : null,
            b.RequiresGrad ? SumTo(Neg(Div(Mul(g, y), b)), b.Shape) : null,
        ]);
    }

    /// <summary>Element-wise aᵇ. ∂a = g·b·aᵇ⁻¹, ∂b = g·aᵇ·ln a (0 where a = 0 and b ≥ 0, as PyTorch).</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = Binary<PowOperator>(a, b, nameof(Pow));
        return Graph.RecordOp(y, nameof(Pow), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(Mul(g, Mul(b, Pow(a, Sub(b, Tensor.Scalar(1))))), a.Shape) : null,
            b.RequiresGrad ? SumTo(PowExponentGrad(g, a, b, y), b.Shape) : null,
        ]);
    }

    private static Tensor PowExponentGrad(Tensor g, Tensor a, Tensor b, Tensor y)
    {
        // NOTE: aᵇ·ln a is 0·(−∞) = NaN at a = 0; the limit for b ≥ 0 is 0, which PyTorch uses.
        var grad = Mul(g, Mul(y, Log(a)));
        var atZero = Mul(Eq(a, Tensor.Scalar(0)), GreaterEqual(b, Tensor.Scalar(0)));
        return Where(BroadcastTo(atZero, grad.Shape), grad.ZerosLike(), grad);
    }

    /// <summary>Element-wise aᵖ for a constant p. ∂a = g·p·aᵖ⁻¹ (0 when p = 0).</summary>
    public static Tensor Pow(Tensor a, float p)
    {
        var y = Tensor.Empty(a.Shape);
        TensorPrimitives.Pow(a.Data, p, y.Data);
        return Graph.RecordOp(y, nameof(Pow), [a], g =>
        [
            p == 0 ? g.ZerosLike() : Mul(g, Mul(Pow(a, p - 1), Tensor.Scalar(p))),
        ]);
    }

    /// <summary>a + s for a constant s.</summary>
    public static Tensor Add(Tensor a, float s) => Add(a, Tensor.Scalar(s));

    /// <summary>a · s for a constant s.</summary>
    public static Tensor Mul(Tensor a, float s) => Mul(a, Tensor.Scalar(s));

    /// <summary>Element-wise −x. ∂x = −g.</summary>
    public static Tensor Neg(Tensor x) => Unary(x, nameof(Neg), TensorPrimitives.Negate, (g, _) => Neg(g));

    /// <summary>Element-wise eˣ. ∂x = g·y.</summary>
    public static Tensor Exp(Tensor x) => Unary(x, nameof(Exp), TensorPrimitives.Exp, (g, y) => Mul(g, y));

    /// <summary>Element-wise ln x. ∂x = g / x.</summary>
    public static Tensor Log(Tensor x) => Unary(x, nameof(Log), TensorPrimitives.Log, (g, _) => Div(g, x));

    /// <summary>Element-wise √x. ∂x = g / (2y).</summary>
    public static Tensor Sqrt(Tensor x) => Unary(x, nameof(Sqrt), TensorPrimitives.Sqrt, (g, y) => Div(g, Mul(y, 2f)));

    /// <summary>Element-wise sin x. ∂x = g·cos x.</summary>
    public static Tensor Sin(Tensor x) => Unary(x, nameof(Sin), TensorPrimitives.Sin, (g, _) => Mul(g, Cos(x)));

    /// <summary>Element-wise cos x. ∂x = −g·sin x.</summary>
    public static Tensor Cos(Tensor x) => Unary(x, nameof(Cos), TensorPrimitives.Cos, (g, _) => Neg(Mul(g, Sin(x))));

    /// <summary>Element-wise |x|. ∂x = g·sign(x), with sign(0) = 0 as PyTorch.</summary>
    public static Tensor Abs(Tensor x) => Unary(x, nameof(Abs), TensorPrimitives.Abs, (g, _) => Mul(g, Sign(x)));

    /// <summary>Element-wise sign: −1, 0 or 1 (NaN stays NaN). Not differentiable (zero gradient).</summary>
    public static Tensor Sign(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        var source = x.Data;
        var destination = y.Data;
        for (int i = 0; i < source.Length; i++)
        {
            float v = source[i];
            destination[i] = v > 0 ? 1f : v < 0 ? -1f : v; // keeps 0 and NaN as they are
        }
        return y;
    }

    /// <summary>
    /// Element-wise clamp to [min, max] (either bound may be omitted). ∂x = g where min ≤ x ≤ max,
    /// else 0 (as PyTorch). NaN stays NaN.
    /// </summary>
    public static Tensor Clamp(Tensor x, float? min = null, float? max = null)
    {
        if (min is float lo && max is float hi && lo > hi)
        {
            throw new ArgumentException($"Clamp: min {lo} is greater than max {hi}.");
        }
        var y = x.Clone();
        if (min is float low)
        {
            TensorPrimitives.Max(y.Data, low, y.Data);
        }
        if (max is float high)
        {
            TensorPrimitives.Min(y.Data, high, y.Data);
        }
        return Graph.RecordOp(y, nameof(Clamp), [x], g =>
        {
            var inside = Tensor.Empty(x.Shape);
            var source = x.Data;
            var mask = inside.Data;
            for (int i = 0; i < source.Length; i++)
            {
                float v = source[i];
                mask[i] = (min is null || v >= min) && (max is null || v <= max) ? 1f : 0f;
            }
            return [Mul(g, inside)];
        });
    }

    /// <summary>Element-wise max(a, b). The gradient goes to the larger input, split in half on ties (as PyTorch).</summary>
    public static Tensor Maximum(Tensor a, Tensor b)
    {
        var y = Binary<MaximumOperator>(a, b, nameof(Maximum));
        return Graph.RecordOp(y, nameof(Maximum), [a, b], g => ExtremumGrads(g, a, b, isMax: true));
    }

    /// <summary>Element-wise min(a, b). The gradient goes to the smaller input, split in half on ties.</summary>
    public static Tensor Minimum(Tensor a, Tensor b)
    {
        var y = Binary<MinimumOperator>(a, b, nameof(Minimum));
        return Graph.RecordOp(y, nameof(Minimum), [a, b], g => ExtremumGrads(g, a, b, isMax: false));
    }

    private static Tensor?[] ExtremumGrads(Tensor g, Tensor a, Tensor b, bool isMax)
    {
        // share(a) = 1 where a wins, ½ on a tie, 0 where b wins; b gets the rest.
        var aWins = isMax ? Greater(a, b) : Less(a, b);
        var share = Add(aWins, Mul(Eq(a, b), 0.5f));
        return
        [
            a.RequiresGrad ? SumTo(Mul(g, share), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(g, Sub(Tensor.Scalar(1), share)), b.Shape) : null,
        ];
    }

    /// <summary>
    /// Element-wise choice: a where <paramref name="condition"/> is non-zero, else b (broadcast).
    /// ∂a = g·[cond], ∂b = g·[¬cond]; the condition gets no gradient.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition.Shape, a.Shape, nameof(Where)), b.Shape, nameof(Where));
        var chosen = NotEqual(BroadcastTo(condition, shape), Tensor.Scalar(0));
        var notChosen = Eq(chosen, Tensor.Scalar(0));
        var y = BroadcastTo(b.Detach(), shape).Clone();
        var aFull = BroadcastTo(a.Detach(), shape);
        var output = y.Data;
        var aValues = aFull.Data;
        var mask = chosen.Data;
        for (int i = 0; i < output.Length; i++)
        {
            if (mask[i] != 0)
            {
                output[i] = aValues[i];
            }
        }
        return Graph.RecordOp(y, nameof(Where), [a, b], g =>
        [
            a.RequiresGrad ? SumTo(Mul(g, chosen), a.Shape) : null,
            b.RequiresGrad ? SumTo(Mul(g, notChosen), b.Shape) : null,
        ]);
    }

    /// <summary>1 where a = b, else 0. Not differentiable.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => Binary<ComparisonOperator<EqualComparison>>(a, b, nameof(Eq));

    /// <summary>1 where a ≠ b, else 0. Not differentiable.</summary>
    public static Tensor NotEqual(Tensor a, Tensor b) => Binary<ComparisonOperator<NotEqualComparison>>(a, b, nameof(NotEqual));

    /// <summary>1 where a &lt; b, else 0. Not differentiable.</summary>
    public static Tensor Less(Tensor a, Tensor b) => Binary<ComparisonOperator<LessComparison>>(a, b, nameof(Less));

    /// <summary>1 where a ≤ b, else 0. Not differentiable.</summary>
    public static Tensor LessEqual(Tensor a, Tensor b) => Binary<ComparisonOperator<LessOrEqualComparison>>(a, b, nameof(LessEqual));

    /// <summary>1 where a &gt; b, else 0. Not differentiable.</summary>
    public static Tensor Greater(Tensor a, Tensor b) => Binary<ComparisonOperator<GreaterComparison>>(a, b, nameof(Greater));

    /// <summary>1 where a ≥ b, else 0. Not differentiable.</summary>
    public static Tensor GreaterEqual(Tensor a, Tensor b) => Binary<ComparisonOperator<GreaterOrEqualComparison>>(a, b, nameof(GreaterEqual));

    /// <summary>y = f(x) element-wise through a span kernel, with ∂x = grad(g, y).</summary>
    private static Tensor Unary(Tensor x, string name, SpanAction kernel, Func<Tensor, Tensor, Tensor> grad)
    {
        var y = Tensor.Empty(x.Shape);
        kernel(x.Data, y.Data);
        return Graph.RecordOp(y, name, [x], g => [grad(g, y)]);
    }

    private delegate void SpanAction(ReadOnlySpan<float> x, Span<float> destination);

    /// <summary>
    /// Sums <paramref name="x"/> down to <paramref name="shape"/>, the inverse of broadcasting:
    /// leading axes are summed away and axes of size 1 in <paramref name="shape"/> are summed with
    /// keep-dims. ∂x = g broadcast back to x's shape.
    /// </summary>
    public static Tensor SumTo(Tensor x, ReadOnlySpan<int> shape)
    {
        if (Shapes.SameShape(x.Shape, shape))
        {
            return x;
        }
        // Broadcasting checks that shape broadcasts to x.Shape, which is what summing back requires.
        var broadcast = Shapes.Broadcast(shape, x.Shape, nameof(SumTo));
        if (!Shapes.SameShape(broadcast, x.Shape))
        {
            throw new ArgumentException(
                $"SumTo: shape {Shapes.Format(x.Shape)} cannot be summed down to {Shapes.Format(shape)}.");
        }
        int lead = x.Rank - shape.Length;
        var axes = new List<int>();
        for (int axis = 0; axis < x.Rank; axis++)
        {
            if (axis < lead || (shape[axis - lead] == 1 && x.Shape[axis] != 1))
            {
                axes.Add(axis);
            }
        }
        return Reshape(Sum(x, axes.ToArray(), keepDims: true), shape);
    }

    /// <summary>
    /// Repeats x along axes of size 1 (and new leading axes) to reach <paramref name="shape"/>, as
    /// torch.broadcast_to / expand (copied, not a view). ∂x = SumTo(g, x.Shape).
    /// </summary>
    public static Tensor BroadcastTo(Tensor x, ReadOnlySpan<int> shape)
    {
        if (Shapes.SameShape(x.Shape, shape))
        {
            return x;
        }
        var broadcast = Shapes.Broadcast(x.Shape, shape, nameof(BroadcastTo));
        if (!Shapes.SameShape(broadcast, shape))
        {
            throw new ArgumentException(
                $"BroadcastTo: shape {Shapes.Format(x.Shape)} cannot be broadcast to {Shapes.Format(shape)}.");
        }
        var y = Tensor.Empty(shape);
        Strided.Copy(x.Data, Shapes.BroadcastStrides(x.Shape, shape), shape, y.Data);
        return Graph.RecordOp(y, nameof(BroadcastTo), [x], g => [SumTo(g, x.Shape)]);
    }
}
