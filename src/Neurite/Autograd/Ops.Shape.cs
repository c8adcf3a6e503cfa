using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The same elements under another shape; one size may be −1 and is inferred. The result shares
    /// x's data (no copy). ∂x = g reshaped back.
    /// </summary>
    public static Tensor Reshape(Tensor x, ReadOnlySpan<int> shape)
    {
        var target = shape.ToArray();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1 && inferred < 0)
            {
                inferred = i;
            }
            else if (target[i] < 0)
            {
                throw new ArgumentException($"Reshape: invalid shape {Shapes.Format(shape)} for input {Shapes.Format(x.Shape)} (one size at most may be -1, the others >= 0).");
            }
            else
            {
                known *= target[i];
            }
        }
        if (inferred >= 0)
        {
            if (known == 0 || x.Count % known != 0)
            {
                throw new ArgumentException($"Reshape: cannot reshape {Shapes.Format(x.Shape)} ({x.Count} elements) to {Shapes.Format(shape)}.");
            }
            target[inferred] = (int)(x.Count / known);
        }
        else if (known != x.Count)
        {
            throw new ArgumentException($"Reshape: cannot reshape {Shapes.Format(x.Shape)} ({x.Count} elements) to {Shapes.Format(shape)}.");
        }
        if (Shapes.SameShape(target, x.Shape))
        {
            return x;
        }
        var y = x.View(target);
        return Graph.RecordOp(y, nameof(Reshape), [x], g => [Reshape(g, x.Shape)]);
    }

    /// <summary>Flattens axes <paramref name="startAxis"/> … <paramref name="endAxis"/> into one (as torch.flatten).</summary>
    public static Tensor Flatten(Tensor x, int startAxis = 0, int endAxis = -1)
    {
        if (x.Rank == 0)
        {
            return Reshape(x, [1]);
        }
        int start = Shapes.NormalizeAxis(startAxis, x.Rank, nameof(Flatten));
        int end = Shapes.NormalizeAxis(endAxis, x.Rank, nameof(Flatten));
        if (start > end)
        {
            throw new ArgumentException($"Flatten: start axis {startAxis} comes after end axis {endAxis} for shape {Shapes.Format(x.Shape)}.");
        }
        var shape = new List<int>();
        for (int axis = 0; axis < start; axis++)
        {
            shape.Add(x.Shape[axis]);
        }
        shape.Add(Product(x.ShapeArray, start, end + 1));
        for (int axis = end + 1; axis < x.Rank; axis++)
        {
            shape.Add(x.Shape[axis]);
        }
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Inserts an axis of size 1 at <paramref name="axis"/> (−1 appends).</summary>
    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank + 1, nameof(Unsqueeze));
        var shape = new List<int>(x.ShapeArray);
        shape.Insert(a, 1);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Removes <paramref name="axis"/>, which must have size 1.</summary>
    public static Tensor Squeeze(Tensor x, int axis)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Squeeze));
        if (x.Shape[a] != 1)
        {
            throw new ArgumentException($"Squeeze: axis {axis} of shape {Shapes.Format(x.Shape)} has size {x.Shape[a]}, not 1.");
        }
        var shape = new List<int>(x.ShapeArray);
        shape.RemoveAt(a);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>
    /// Reorders the axes: output axis i is input axis <paramref name="axes"/>[i] (as torch.permute).
    /// The result is a copy. ∂x = g permuted by the inverse order.
    /// </summary>
    public static Tensor Permute(Tensor x, ReadOnlySpan<int> axes)
    {
        if (axes.Length != x.Rank)
        {
            throw new ArgumentException($"Permute: {axes.Length} axes given for a tensor of shape {Shapes.Format(x.Shape)}.");
        }
        var order = new int[axes.Length];
        var inverse = new int[axes.Length];
        var seen = new bool[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Shapes.NormalizeAxis(axes[i], x.Rank, nameof(Permute));
            if (seen[a])
            {
                throw new ArgumentException($"Permute: axis {a} appears twice in {Shapes.Format(axes)}.");
            }
            seen[a] = true;
            order[i] = a;
            inverse[a] = i;
        }
        var strides = Shapes.Strides(x.Shape);
        var shape = new int[order.Length];
        var readStrides = new int[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            shape[i] = x.Shape[order[i]];
            readStrides[i] = strides[order[i]];
        }
        var y = Tensor.Empty(shape);
        Strided.Copy(x.Data, readStrides, shape, y.Data);
        return Graph.RecordOp(y, nameof(Permute), [x], g => [Permute(g, inverse)]);
    }

    /// <summary>Swaps two axes (by default the last two: a matrix transpose). The result is a copy.</summary>
    public static Tensor Transpose(Tensor x, int axis0 = -2, int axis1 = -1)
    {
        if (x.Rank < 2)
        {
            throw new ArgumentException($"Transpose: needs at least 2 axes; got shape {Shapes.Format(x.Shape)}.");
        }
        var order = Enumerable.Range(0, x.Rank).ToArray();
        int a0 = Shapes.NormalizeAxis(axis0, x.Rank, nameof(Transpose));
        int a1 = Shapes.NormalizeAxis(axis1, x.Rank, nameof(Transpose));
        (order[a0], order[a1]) = (order[a1], order[a0]);
        return Permute(x, order);
    }

    /// <summary>
    /// Elements start, start + step, … before end along <paramref name="axis"/>, with Python's
    /// slicing rules: negative bounds count from the end and bounds beyond the axis are clamped to
    /// it (x[1:10] of 3 elements is x[1:3]); step ≥ 1. The result is a view sharing x's data when
    /// its elements are consecutive in x (step 1 along the leading axis, or along an axis whose
    /// preceding axes have size 1), else a copy. ∂x = g placed back, zeros elsewhere.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">step &lt; 1.</exception>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Slice));
        int size = x.Shape[a];
        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step),
                $"Slice: step {step} must be >= 1 (axis {axis} of shape {Shapes.Format(x.Shape)}).");
        }
        int from = Math.Clamp(start < 0 ? start + size : start, 0, size);
        int to = Math.Clamp(end < 0 ? end + size : end, 0, size);
        int length = Math.Max(0, (to - from + step - 1) / step);
        var shape = x.Shape.ToArray();
        shape[a] = length;
        return SliceAlong(x, nameof(Slice), a, from, length, step, shape);
    }

    /// <summary>
    /// The <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="axis"/> (as
    /// torch.narrow; a negative start counts from the end). Along the leading axis, or an axis whose preceding
    /// axes have size 1, the result is a view sharing x's data (no copy); otherwise a copy. ∂x = g placed back
    /// at start, zeros elsewhere.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range [start, start + length) does not lie within the axis.</exception>
    public static Tensor Narrow(Tensor x, int axis, int start, int length)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Narrow));
        int size = x.Shape[a];
        int from = start < 0 ? start + size : start;
        if (from < 0 || length < 0 || (long)from + length > size)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Narrow: start {start} and length {length} do not fit axis {axis} of size {size} (shape {Shapes.Format(x.Shape)}).");
        }
        var shape = x.Shape.ToArray();
        shape[a] = length;
        return SliceAlong(x, nameof(Narrow), a, from, length, 1, shape);
    }

    /// <summary>
    /// The slice at <paramref name="index"/> along <paramref name="axis"/>, with that axis removed (as torch.select,
    /// x[index] for axis 0; a negative index counts from the end). Along the leading axis, or an axis whose
    /// preceding axes have size 1, the result is a view sharing x's data (no copy); otherwise a copy. ∂x = g placed
    /// back at index, zeros elsewhere.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the axis.</exception>
    public static Tensor Select(Tensor x, int axis, int index)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Select));
        int size = x.Shape[a];
        int at = index < 0 ? index + size : index;
        if ((uint)at >= (uint)size)
        {
            throw new ArgumentOutOfRangeException(nameof(index),
                $"Select: index {index} is out of range for axis {axis} of size {size} (shape {Shapes.Format(x.Shape)}).");
        }
        return SliceAlong(x, nameof(Select), a, at, 1, 1, WithoutAxis(x.ShapeArray, a));
    }

    /// <summary>
    /// The slices of x along <paramref name="axis"/>, that axis removed: Select(x, axis, i) for each i (as
    /// torch.unbind). Along the leading axis they are views sharing x's data (no copy). In backward, the slices'
    /// gradients are added into one gradient of x's shape.
    /// </summary>
    public static Tensor[] Unbind(Tensor x, int axis = 0)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Unbind));
        var parts = new Tensor[x.Shape[a]];
        var shape = WithoutAxis(x.ShapeArray, a);
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = SliceAlong(x, nameof(Unbind), a, i, 1, 1, shape);
        }
        return parts;
    }

    private static int[] WithoutAxis(int[] shape, int axis) => [.. shape[..axis], .. shape[(axis + 1)..]];

    /// <summary>
    /// The slice from, from + step, … (length positions) along axis a, shaped <paramref name="shape"/>: a view at an
    /// offset when its elements are consecutive, else a copy. Its backward adds g into that region of ∂x (see
    /// <see cref="Node.Region"/>).
    /// </summary>
    private static Tensor SliceAlong(Tensor x, string op, int a, int from, int length, int step, int[] shape)
    {
        var region = new SliceRegion(Product(x.ShapeArray, 0, a), x.Shape[a], Product(x.ShapeArray, a + 1, x.Rank), from, length, step);
        Tensor y;
        if (region.IsContiguous)
        {
            y = x.View(region.Offset, shape);
        }
        else
        {
            y = Tensor.Empty(shape);
            region.CopyFrom(x.Data, y.Data);
        }
        return Graph.RecordSlice(y, op, x, region);
    }

    /// <summary>
    /// Joins tensors along an existing axis; all other sizes must match. ∂ of each input is its
    /// slice of g.
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("Concat: needs at least one tensor.");
        }
        var first = tensors[0];
        int a = Shapes.NormalizeAxis(axis, first.Rank, nameof(Concat));
        int total = 0;
        foreach (var t in tensors)
        {
            bool fits = t.Rank == first.Rank;
            for (int d = 0; fits && d < t.Rank; d++)
            {
                fits = d == a || t.Shape[d] == first.Shape[d];
            }
            if (!fits)
            {
                throw new ArgumentException(
                    $"Concat: shapes {Shapes.Format(first.Shape)} and {Shapes.Format(t.Shape)} differ outside axis {axis}.");
            }
            total += t.Shape[a];
        }
        var shape = first.Shape.ToArray();
        shape[a] = total;
        var y = Tensor.Empty(shape);
        int outer = Product(shape, 0, a), inner = Product(shape, a + 1, shape.Length);
        int offset = 0;
        var offsets = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            int block = t.Shape[a] * inner;
            for (int o = 0; o < outer; o++)
            {
                t.Data.Slice(o * block, block).CopyTo(y.Data.Slice((o * total + offset) * inner, block));
            }
            offsets[i] = offset;
            offset += t.Shape[a];
        }
        var inputs = tensors.ToArray();
        return Graph.RecordOp(y, nameof(Concat), inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].RequiresGrad)
                {
                    grads[i] = Slice(g, a, offsets[i], offsets[i] + inputs[i].Shape[a]);
                }
            }
            return grads;
        });
    }

    /// <summary>Joins tensors of one shape along a new axis.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("Stack: needs at least one tensor.");
        }
        foreach (var t in tensors)
        {
            if (!Shapes.SameShape(t.Shape, tensors[0].Shape))
            {
                throw new ArgumentException(
                    $"Stack: all tensors need one shape; got {Shapes.Format(tensors[0].Shape)} and {Shapes.Format(t.Shape)}.");
            }
        }
        int a = Shapes.NormalizeAxis(axis, tensors[0].Rank + 1, nameof(Stack));
        return Concat(tensors.Select(t => Unsqueeze(t, a)).ToArray(), a);
    }
}
