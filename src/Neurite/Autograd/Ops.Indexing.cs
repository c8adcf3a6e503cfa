using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The rows (or slices) of x at <paramref name="indices"/> along <paramref name="axis"/>
    /// (as torch.index_select; indices may repeat). ∂x = g added back at each index.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the axis; the message names it and its position.</exception>
    public static Tensor IndexSelect(Tensor x, int axis, ReadOnlySpan<int> indices)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(IndexSelect));
        int size = x.Shape[a];
        var index = indices.ToArray();
        for (int j = 0; j < index.Length; j++)
        {
            if ((uint)index[j] >= (uint)size)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"IndexSelect: index {index[j]} at position {j} is out of range for axis {axis} of size {size} (shape {Shapes.Format(x.Shape)}).");
            }
        }
        var shape = x.Shape.ToArray();
        shape[a] = index.Length;
        var y = Tensor.Empty(shape);
        int outer = Product(shape, 0, a), inner = Product(shape, a + 1, shape.Length);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < index.Length; j++)
            {
                x.Data.Slice((o * size + index[j]) * inner, inner).CopyTo(y.Data.Slice((o * index.Length + j) * inner, inner));
            }
        }
        return Graph.RecordOp(y, nameof(IndexSelect), [x], g =>
        {
            var dx = x.ZerosLike();
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < index.Length; j++)
                {
                    Elementwise.AddInPlace(dx.Data.Slice((o * size + index[j]) * inner, inner), g.Data.Slice((o * index.Length + j) * inner, inner));
                }
            }
            return [dx];
        });
    }

    /// <summary>
    /// The rows (or slices) of x at the indices of a vector (or scalar) <paramref name="indices"/> along
    /// <paramref name="axis"/> (as torch.index_select). ∂x = g added back at each index.
    /// </summary>
    /// <exception cref="ArgumentException">indices has more than one axis.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the axis; the message names it and its position.</exception>
    public static Tensor IndexSelect(Tensor x, int axis, IntTensor indices)
    {
        if (indices.Rank > 1)
        {
            throw new ArgumentException(
                $"IndexSelect: indices must be a vector or a scalar; got shape {Shapes.Format(indices.Shape)} for input {Shapes.Format(x.Shape)}.");
        }
        return IndexSelect(x, axis, indices.Data);
    }

    /// <summary>
    /// torch.gather: y[i₀…, j, …] = x[i₀…, index[i₀…, j, …], …] along <paramref name="axis"/>.
    /// <paramref name="index"/> has x's rank, holds whole numbers, and is no larger than x on the
    /// other axes. ∂x = g scattered (added) back to the gathered positions.
    /// </summary>
    public static Tensor Gather(Tensor x, int axis, Tensor index)
    {
        int a = CheckGatherShapes(x, axis, index.Shape);
        var values = new int[index.Count];
        var source = index.Data;
        for (int i = 0; i < values.Length; i++)
        {
            float v = source[i];
            if (v != MathF.Floor(v) || v < 0 || v >= x.Shape[a])
            {
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"Gather: index value {v} is out of range for axis {axis} of size {x.Shape[a]} (shape {Shapes.Format(x.Shape)}).");
            }
            values[i] = (int)v;
        }
        return GatherAt(x, a, index.Shape, values);
    }

    /// <summary>
    /// torch.gather: y[i₀…, j, …] = x[i₀…, index[i₀…, j, …], …] along <paramref name="axis"/>; y has index's shape.
    /// <paramref name="index"/> has x's rank and is no larger than x on the other axes. ∂x = g scattered (added) back
    /// to the gathered positions.
    /// </summary>
    /// <exception cref="ArgumentException">index's rank or sizes do not fit x.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the axis; the message names it and its position.</exception>
    public static Tensor Gather(Tensor x, int axis, IntTensor index)
    {
        int a = CheckGatherShapes(x, axis, index.Shape);
        var values = index.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)x.Shape[a])
            {
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"Gather: index {values[i]} at position {Shapes.FormatPosition(index.Shape, i)} is out of range for axis {axis} of size {x.Shape[a]} (input shape {Shapes.Format(x.Shape)}).");
            }
        }
        return GatherAt(x, a, index.Shape, values);
    }

    private static int CheckGatherShapes(Tensor x, int axis, ReadOnlySpan<int> indexShape)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Gather));
        if (indexShape.Length != x.Rank)
        {
            throw new ArgumentException($"Gather: index {Shapes.Format(indexShape)} must have the rank of input {Shapes.Format(x.Shape)}.");
        }
        for (int d = 0; d < x.Rank; d++)
        {
            if (d != a && indexShape[d] > x.Shape[d])
            {
                throw new ArgumentException(
                    $"Gather: index {Shapes.Format(indexShape)} is larger than input {Shapes.Format(x.Shape)} on axis {d}.");
            }
        }
        return a;
    }

    /// <summary>Gather with checked indices <paramref name="values"/> (row-major, of <paramref name="indexShape"/>).</summary>
    private static Tensor GatherAt(Tensor x, int a, ReadOnlySpan<int> indexShape, ReadOnlySpan<int> values)
    {
        // Flat source offset of every output element, computed once and reused by the backward.
        var sources = new int[values.Length];
        var xStrides = Shapes.Strides(x.Shape);
        Span<int> position = stackalloc int[indexShape.Length];
        for (int flat = 0; flat < sources.Length; flat++)
        {
            int offset = 0;
            for (int d = 0; d < position.Length; d++)
            {
                offset += (d == a ? values[flat] : position[d]) * xStrides[d];
            }
            sources[flat] = offset;
            for (int d = position.Length - 1; d >= 0 && ++position[d] == indexShape[d]; d--)
            {
                position[d] = 0;
            }
        }
        var y = Tensor.Empty(indexShape);
        var xData = x.Data;
        var yData = y.Data;
        for (int i = 0; i < sources.Length; i++)
        {
            yData[i] = xData[sources[i]];
        }
        return Graph.RecordOp(y, nameof(Gather), [x], g =>
        {
            var dx = x.ZerosLike();
            var dxData = dx.Data;
            var gData = g.Data;
            for (int i = 0; i < sources.Length; i++)
            {
                dxData[sources[i]] += gData[i];
            }
            return [dx];
        });
    }

    /// <summary>
    /// One-hot encoding: a tensor of shape [*indices.Shape, numClasses] with 1 at each class index.
    /// The indices must be whole numbers in [0, numClasses). Not differentiable.
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses)
    {
        CheckClassCount(numClasses);
        var values = indices.Data;
        var classes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Floor(v) || v < 0 || v >= numClasses)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"OneHot: class index {v} at position {i} is out of range for {numClasses} classes.");
            }
            classes[i] = (int)v;
        }
        return OneHotOf(classes, indices.Shape, numClasses);
    }

    /// <summary>
    /// One-hot encoding (as torch.nn.functional.one_hot, as float32): a tensor of shape [*indices.Shape, numClasses]
    /// with 1 at each class index and 0 elsewhere. Not differentiable.
    /// </summary>
    /// <exception cref="ArgumentException">numClasses &lt; 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, numClasses); the message names it and its position.</exception>
    public static Tensor OneHot(IntTensor indices, int numClasses)
    {
        CheckClassCount(numClasses);
        var values = indices.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)numClasses)
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"OneHot: class index {values[i]} at position {Shapes.FormatPosition(indices.Shape, i)} is out of range for {numClasses} classes.");
            }
        }
        return OneHotOf(values, indices.Shape, numClasses);
    }

    private static void CheckClassCount(int numClasses)
    {
        if (numClasses < 1)
        {
            throw new ArgumentException($"OneHot: numClasses must be >= 1; got {numClasses}.");
        }
    }

    private static Tensor OneHotOf(ReadOnlySpan<int> classes, ReadOnlySpan<int> shape, int numClasses)
    {
        var y = Tensor.Zeros([.. shape, numClasses]);
        var data = y.Data;
        for (int i = 0; i < classes.Length; i++)
        {
            data[i * numClasses + classes[i]] = 1f;
        }
        return y;
    }

    /// <summary>
    /// Looks up rows of an embedding table (as torch.nn.functional.embedding): y[*, :] = weight[ids[*], :], so
    /// weight [num, dim] and ids of any shape give y [*ids.Shape, dim]. ∂weight = the rows of g added (scattered)
    /// into the rows they were read from; ids that repeat add up.
    /// </summary>
    /// <exception cref="ArgumentException">weight is not a matrix.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, num); the message names it and its position.</exception>
    public static Tensor Embedding(Tensor weight, IntTensor ids)
    {
        if (weight.Rank != 2)
        {
            throw new ArgumentException(
                $"Embedding: weight must be [num, dim]; got {Shapes.Format(weight.Shape)} for ids {Shapes.Format(ids.Shape)}.");
        }
        int num = weight.Shape[0], dim = weight.Shape[1];
        // A copy, so that changing ids after the forward cannot change the backward.
        var rows = ids.ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)num)
            {
                throw new ArgumentOutOfRangeException(nameof(ids),
                    $"Embedding: id {rows[i]} at position {Shapes.FormatPosition(ids.Shape, i)} is out of range for {num} embeddings (weight {Shapes.Format(weight.Shape)}).");
            }
        }
        var y = Tensor.Empty([.. ids.Shape, dim]);
        RowGather.Gather(weight.Data, dim, rows, y.Data);
        return Graph.RecordOp(y, nameof(Embedding), [weight], g =>
        {
            var dw = weight.GradientBuffer();
            dw.Data.Clear();
            RowGather.ScatterAdd(g.Data, dim, rows, dw.Data);
            return [dw];
        });
    }
}
