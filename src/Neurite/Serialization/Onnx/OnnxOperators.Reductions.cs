using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// The reductions over axes (ReduceSum's axes are an input from opset 13, the others' an attribute up to opset 17;
/// no axes means all of them, or none with noop_with_empty_axes), and ArgMax/ArgMin.
/// </summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Reductions() =>
    [
        Reduction("ReduceSum", (x, axes) => Ops.Sum(x, axes, keepDims: true), axesInput: true),
        Reduction("ReduceMean", (x, axes) => Ops.Mean(x, axes, keepDims: true)),
        Reduction("ReduceMax", (x, axes) => Ops.Max(x, axes, keepDims: true)),
        Reduction("ReduceMin", (x, axes) => Ops.Min(x, axes, keepDims: true)),
        Reduction("ReduceProd", Product),
        Reduction("ReduceSumSquare", (x, axes) => Ops.Sum(Ops.Mul(x, x), axes, keepDims: true)),
        Reduction("ReduceL1", (x, axes) => Ops.Sum(Ops.Abs(x), axes, keepDims: true)),
        Reduction("ReduceL2", (x, axes) => Ops.Sqrt(Ops.Sum(Ops.Mul(x, x), axes, keepDims: true))),
        Reduction("ReduceLogSum", (x, axes) => Ops.Log(Ops.Sum(x, axes, keepDims: true))),
        // log Σ eˣ = m + log Σ e^(x − m), m the (constant) maximum, so that large x do not overflow.
        Reduction("ReduceLogSumExp", (x, axes) =>
        {
            var max = Ops.Max(x, axes, keepDims: true).Detach();
            return Ops.Add(Ops.Log(Ops.Sum(Ops.Exp(Ops.Sub(x, max)), axes, keepDims: true)), max);
        }),
        new("ArgMax", node => One(ArgExtremum(node, (a, b) => a > b)), ["axis", "keepdims", "select_last_index"]),
        new("ArgMin", node => One(ArgExtremum(node, (a, b) => a < b)), ["axis", "keepdims", "select_last_index"]),
    ];

    /// <summary>
    /// A reduction of float values computed with the axes kept (size 1), then dropped unless keepdims; axes from
    /// input 1 (ReduceSum from opset 13) or the attribute.
    /// </summary>
    private static OnnxOperator Reduction(string name, Func<Tensor, int[], Tensor> reduce, bool axesInput = false) => new(name, node =>
    {
        var x = node.Float(0);
        var axes = axesInput && node.Opset >= 13 ? node.Integers(1) : node.Ints("axes")?.ToArray();
        int[] normalized;
        if (axes is null || axes.Length == 0)
        {
            if (node.Int("noop_with_empty_axes", 0) != 0)
            {
                return One(OnnxValue.Of(x));
            }
            normalized = [.. Enumerable.Range(0, x.Rank)];
        }
        else
        {
            normalized = [.. axes.Select(axis => Axis(node, axis, x.Rank)).Distinct().Order()];
        }
        var y = x.Rank == 0 ? reduce(Ops.Reshape(x, [1]), [0]) : reduce(x, normalized);
        bool keep = node.Int("keepdims", 1) != 0;
        return One(OnnxValue.Of(keep ? Ops.Reshape(y, x.ShapeArray.Select((size, axis) => normalized.Contains(axis) ? 1 : size).ToArray())
            : Ops.Reshape(y, [.. x.ShapeArray.Where((_, axis) => !normalized.Contains(axis))])));
    }, ["axes", "keepdims", "noop_with_empty_axes"], axesInput ? [1] : null);

    /// <summary>The product along axes: the slices along each axis multiplied one by one (differentiable).</summary>
    private static Tensor Product(Tensor x, int[] axes)
    {
        foreach (int axis in axes)
        {
            var slices = Ops.Unbind(x, axis);
            var product = slices.Length == 0 ? Tensor.Ones([.. x.ShapeArray.Where((_, a) => a != axis)]) : slices[0];
            for (int i = 1; i < slices.Length; i++)
            {
                product = Ops.Mul(product, slices[i]);
            }
            x = Ops.Unsqueeze(product, axis);
        }
        return x;
    }

    /// <summary>The index of the first (or, with select_last_index, the last) extremum along <c>axis</c>, as int64.</summary>
    private static OnnxValue ArgExtremum(OnnxNodeContext node, Func<double, double, bool> better)
    {
        var x = node.Input(0);
        int axis = Axis(node, node.Int("axis", 0), x.Rank);
        bool last = node.Int("select_last_index", 0) != 0;
        var values = x.Numbers();
        int size = x.Shape[axis], inner = x.Shape[(axis + 1)..].Aggregate(1, (a, b) => a * b), outer = x.Shape[..axis].Aggregate(1, (a, b) => a * b);
        if (size == 0)
        {
            throw node.Error($"axis {axis} of {x.Describe()} is empty");
        }
        var result = new long[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < size; k++)
                {
                    double value = values[(o * size + k) * inner + i], current = values[(o * size + best) * inner + i];
                    if (better(value, current) || (last && value == current))
                    {
                        best = k;
                    }
                }
                result[o * inner + i] = best;
            }
        }
        var shape = node.Int("keepdims", 1) != 0 ? x.Shape.Select((s, a) => a == axis ? 1 : s).ToArray() : x.Shape.Where((_, a) => a != axis).ToArray();
        return OnnxValue.Of(OnnxDataType.Int64, result, shape);
    }
}
