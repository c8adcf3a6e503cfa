using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    private delegate void AxisReduction(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination);

    /// <summary>
    /// Reduces x over <paramref name="axes"/> (sorted, distinct), keeping them as size-1 axes.
    /// Adjacent axes are merged into one [outer, n, inner] pass; runs are reduced last to first.
    /// </summary>
    private static Tensor ReduceKeepDims(Tensor x, int[] axes, AxisReduction reduce)
    {
        var current = x.Detach();
        int end = axes.Length;
        while (end > 0)
        {
            int start = end - 1;
            while (start > 0 && axes[start - 1] == axes[start] - 1)
            {
                start--;
            }
            int first = axes[start], last = axes[end - 1];
            var shape = current.ShapeArray;
            int outer = Product(shape, 0, first), n = Product(shape, first, last + 1), inner = Product(shape, last + 1, shape.Length);
            var reducedShape = (int[])shape.Clone();
            for (int axis = first; axis <= last; axis++)
            {
                reducedShape[axis] = 1;
            }
            var reduced = Tensor.Empty(reducedShape);
            reduce(current.Data, outer, n, inner, reduced.Data);
            current = reduced;
            end = start;
        }
        return current;
    }

    private static int Product(int[] shape, int from, int to)
    {
        int product = 1;
        for (int i = from; i < to; i++)
        {
            product *= shape[i];
        }
        return product;
    }

    /// <summary>The shape of x with <paramref name="axes"/> removed (or kept as 1).</summary>
    private static int[] ReducedShape(ReadOnlySpan<int> shape, int[] axes, bool keepDims)
    {
        var result = new List<int>(shape.Length);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            if (Array.BinarySearch(axes, axis) < 0)
            {
                result.Add(shape[axis]);
            }
            else if (keepDims)
            {
                result.Add(1);
            }
        }
        return result.ToArray();
    }

    /// <summary>The sum of all elements, as a scalar. ∂x = g everywhere.</summary>
    public static Tensor Sum(Tensor x) => Sum(x, [], keepDims: false);

    /// <summary>The sum along one axis.</summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDims = false) => Sum(x, [axis], keepDims);

    /// <summary>
    /// The sum over <paramref name="axes"/> (all axes when empty); reduced axes are dropped unless
    /// <paramref name="keepDims"/>. ∂x = g broadcast back over the reduced axes.
    /// </summary>
    public static Tensor Sum(Tensor x, int[] axes, bool keepDims = false)
    {
        var normalized = Shapes.NormalizeAxes(axes, x.Rank, nameof(Sum));
        var y = ReduceKeepDims(x, normalized, Reductions.Sum);
        if (!keepDims)
        {
            y = y.View(ReducedShape(x.Shape, normalized, keepDims: false));
        }
        var keptShape = ReducedShape(x.Shape, normalized, keepDims: true);
        return Graph.RecordOp(y, nameof(Sum), [x], g => [BroadcastTo(Reshape(g, keptShape), x.Shape)]);
    }

    /// <summary>The mean of all elements, as a scalar.</summary>
    public static Tensor Mean(Tensor x) => Mean(x, [], keepDims: false);

    /// <summary>The mean along one axis.</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDims = false) => Mean(x, [axis], keepDims);

    /// <summary>The mean over <paramref name="axes"/> (all when empty): Sum / count. NaN for an empty reduction.</summary>
    public static Tensor Mean(Tensor x, int[] axes, bool keepDims = false)
    {
        var normalized = Shapes.NormalizeAxes(axes, x.Rank, nameof(Mean));
        return Mul(Sum(x, normalized, keepDims), 1f / ReducedCount(x, normalized));
    }

    private static int ReducedCount(Tensor x, int[] normalizedAxes)
    {
        int count = 1;
        foreach (int axis in normalizedAxes)
        {
            count *= x.Shape[axis];
        }
        return count;
    }

    /// <summary>The largest element.</summary>
    public static Tensor Max(Tensor x) => Max(x, [], keepDims: false);

    /// <summary>The largest value along one axis.</summary>
    public static Tensor Max(Tensor x, int axis, bool keepDims = false) => Max(x, [axis], keepDims);

    /// <summary>
    /// The largest value over <paramref name="axes"/> (as torch.amax). The gradient is shared evenly
    /// among the elements that attain the maximum.
    /// </summary>
    public static Tensor Max(Tensor x, int[] axes, bool keepDims = false) => Extremum(x, axes, keepDims, isMax: true);

    /// <summary>The smallest element.</summary>
    public static Tensor Min(Tensor x) => Min(x, [], keepDims: false);

    /// <summary>The smallest value along one axis.</summary>
    public static Tensor Min(Tensor x, int axis, bool keepDims = false) => Min(x, [axis], keepDims);

    /// <summary>The smallest value over <paramref name="axes"/> (as torch.amin); ties share the gradient.</summary>
    public static Tensor Min(Tensor x, int[] axes, bool keepDims = false) => Extremum(x, axes, keepDims, isMax: false);

    private static Tensor Extremum(Tensor x, int[] axes, bool keepDims, bool isMax)
    {
        string op = isMax ? nameof(Max) : nameof(Min);
        var normalized = Shapes.NormalizeAxes(axes, x.Rank, op);
        foreach (int axis in normalized)
        {
            if (x.Shape[axis] == 0)
            {
                throw new ArgumentException($"{op}: cannot reduce axis {axis} of size 0 (shape {Shapes.Format(x.Shape)}).");
            }
        }
        var kept = ReduceKeepDims(x, normalized, isMax ? Reductions.Max : Reductions.Min);
        var y = keepDims ? kept : kept.View(ReducedShape(x.Shape, normalized, keepDims: false));
        return Graph.RecordOp(y, op, [x], g =>
        {
            // ∂x = g / (number of ties) at the elements equal to the extreme value, 0 elsewhere.
            var attains = Eq(x, kept);
            var ties = Sum(attains, normalized, keepDims: true);
            return [Mul(attains, Div(Reshape(g, kept.Shape), ties))];
        });
    }

    /// <summary>The index of the largest value along <paramref name="axis"/> (first on ties; NaN counts as largest).</summary>
    public static Tensor ArgMax(Tensor x, int axis, bool keepDims = false) => ArgExtremum(x, axis, keepDims, isMax: true);

    /// <summary>The index of the smallest value along <paramref name="axis"/>.</summary>
    public static Tensor ArgMin(Tensor x, int axis, bool keepDims = false) => ArgExtremum(x, axis, keepDims, isMax: false);

    /// <summary>The flat (row-major) index of the largest element.</summary>
    public static Tensor ArgMax(Tensor x) => ArgExtremum(Reshape(x.Detach(), [-1]), 0, false, isMax: true);

    private static Tensor ArgExtremum(Tensor x, int axis, bool keepDims, bool isMax)
    {
        string op = isMax ? nameof(ArgMax) : nameof(ArgMin);
        int a = Shapes.NormalizeAxis(axis, x.Rank, op);
        if (x.Shape[a] == 0)
        {
            throw new ArgumentException($"{op}: cannot reduce axis {a} of size 0 (shape {Shapes.Format(x.Shape)}).");
        }
        var shape = x.ShapeArray;
        var y = Tensor.Empty(ReducedShape(shape, [a], keepDims));
        Reductions.ArgExtremum(x.Data, Product(shape, 0, a), shape[a], Product(shape, a + 1, shape.Length), y.Data, isMax);
        return y;
    }

    /// <summary>
    /// The variance over <paramref name="axes"/> (all when empty): Σ(x − mean)² / (N − correction).
    /// The default correction 1 is the unbiased estimate, as torch.var.
    /// </summary>
    public static Tensor Variance(Tensor x, int[] axes, int correction = 1, bool keepDims = false)
    {
        var normalized = Shapes.NormalizeAxes(axes, x.Rank, nameof(Variance));
        if (correction < 0)
        {
            throw new ArgumentException($"Variance: correction must be >= 0; got {correction}.");
        }
        var centered = Sub(x, Mean(x, normalized, keepDims: true));
        return Mul(Sum(Mul(centered, centered), normalized, keepDims), 1f / Math.Max(0, ReducedCount(x, normalized) - correction));
    }

    /// <summary>The variance along one axis.</summary>
    public static Tensor Variance(Tensor x, int axis, int correction = 1, bool keepDims = false) =>
        Variance(x, [axis], correction, keepDims);

    /// <summary>The unbiased variance of all elements (as torch.var(x)); Variance(x, [], c) sets the correction.</summary>
    public static Tensor Variance(Tensor x) => Variance(x, []);
}
