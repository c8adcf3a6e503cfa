using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// Shapes and data movement (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Gather, Expand,
/// Tile), shape arithmetic (Shape, Size, ConstantOfShape, Range), Constant, Cast and Identity. Axes, shapes and
/// sizes before opset 13 (Squeeze, Unsqueeze, Split) or 10 (Slice) are attributes, later they are inputs.
/// </summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Shaping() =>
    [
        new("Identity", node => One(node.Input(0)), []),
        new("Reshape", Reshape, ["allowzero", "shape", "consumed_inputs"], StaticInputs: [1]),
        new("Flatten", Flatten, ["axis"]),
        new("Transpose", Transpose, ["perm"]),
        new("Squeeze", Squeeze, ["axes"], StaticInputs: [1]),
        new("Unsqueeze", Unsqueeze, ["axes"], StaticInputs: [1]),
        new("Concat", Concat, ["axis"]),
        new("Split", Split, ["axis", "split"], StaticInputs: [1]),
        new("Slice", Slice, ["starts", "ends", "axes"], StaticInputs: [1, 2, 3, 4]),
        new("Gather", Gather, ["axis"], StaticInputs: [1]),
        new("GatherElements", GatherElements, ["axis"], StaticInputs: [1]),
        new("Trilu", Trilu, ["upper"], StaticInputs: [1]),
        new("Expand", Expand, [], StaticInputs: [1]),
        new("Tile", Tile, [], StaticInputs: [1]),
        new("Shape", Shape, ["start", "end"]),
        new("Size", node => One(OnnxValue.Of(OnnxDataType.Int64, [node.Input(0).Count], [])), []),
        new("ConstantOfShape", ConstantOfShape, ["value"], StaticInputs: [0]),
        new("Constant", Constant, ["value", "value_float", "value_floats", "value_int", "value_ints"]),
        new("Cast", Cast, ["to"]),
        new("Range", Range, [], StaticInputs: [0, 1, 2]),
    ];

    /// <summary>A tensor attribute or initializer as a value, its dims checked to fit a tensor.</summary>
    internal static OnnxValue TensorValue(OnnxTensor tensor, Func<string, Exception> error)
    {
        if (tensor.IsExternal)
        {
            throw error($"tensor '{tensor.Name}' keeps its data in an external file, which Neurite does not read");
        }
        var shape = tensor.Dims.Select(size => size <= int.MaxValue ? (int)size : throw error($"tensor '{tensor.Name}' has a dimension of {size}")).ToArray();
        return OnnxValue.FromTensor(tensor, shape)
            ?? throw error($"tensor '{tensor.Name}' is {OnnxTensor.Describe(tensor.DataType)}, which Neurite does not support (float32, integers and bool)");
    }

    private static OnnxValue[] Reshape(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var target = (node.Opset < 5 ? node.Ints("shape")?.ToArray() : node.Integers(1)) ?? throw node.Error("the target shape is missing");
        bool allowZero = node.Int("allowzero", 0) != 0;
        var shape = new int[target.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long size = target[i];
            if (size == -1)
            {
                inferred = inferred < 0 ? i : throw node.Error($"shape [{string.Join(", ", target)}] has more than one -1");
                continue;
            }
            shape[i] = size == 0 && !allowZero
                ? i < x.Rank ? x.Shape[i] : throw node.Error($"shape [{string.Join(", ", target)}] copies axis {i} (0), which {x.Describe()} does not have")
                : Size(node, size, "shape size");
            known *= shape[i];
        }
        if (inferred >= 0)
        {
            shape[inferred] = known != 0 && x.Count % known == 0
                ? (int)(x.Count / known)
                : throw node.Error($"cannot reshape {x.Describe()} to [{string.Join(", ", target)}]");
        }
        return Shapes.CountOf(shape, "Reshape") == x.Count
            ? One(x.Reshape(shape))
            : throw node.Error($"cannot reshape {x.Describe()} ({x.Count} elements) to [{string.Join(", ", target)}]");
    }

    /// <summary>The axes before <c>axis</c> (default 1; 0 … rank, negative from the end) become rows, the rest columns.</summary>
    private static OnnxValue[] Flatten(OnnxNodeContext node)
    {
        var x = node.Input(0);
        long axis = node.Int("axis", 1);
        axis = axis < 0 ? axis + x.Rank : axis;
        if (axis < 0 || axis > x.Rank)
        {
            throw node.Error($"axis {node.Int("axis", 1)} is out of range for rank {x.Rank}");
        }
        int rows = x.Shape[..(int)axis].Aggregate(1, (a, b) => a * b);
        return One(x.Reshape([rows, rows == 0 ? 0 : x.Count / rows]));
    }

    private static OnnxValue[] Transpose(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var perm = node.Ints("perm")?.Select(axis => Axis(node, axis, x.Rank, "perm axis")).ToArray() ?? [.. Enumerable.Range(0, x.Rank).Reverse()];
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length)
        {
            throw node.Error($"perm [{string.Join(", ", perm)}] is not a permutation of the {x.Rank} axes of {x.Describe()}");
        }
        if (x.Float is { } f)
        {
            return One(OnnxValue.Of(Ops.Permute(f, perm)));
        }
        var shape = perm.Select(axis => x.Shape[axis]).ToArray();
        var strides = Shapes.Strides(x.Shape);
        return One(x.Pick(Positions(shape, (index, _) => perm.Select((axis, i) => index[i] * strides[axis]).Sum()), shape));
    }

    /// <summary>For every element of <paramref name="shape"/>, in order, the flat source index <paramref name="source"/> gives for its coordinates.</summary>
    private static int[] Positions(int[] shape, Func<int[], int, int> source)
    {
        int count = Shapes.CheckedCount(shape, "ONNX");
        var positions = new int[count];
        var index = new int[shape.Length];
        for (int i = 0; i < count; i++)
        {
            positions[i] = source(index, i);
            for (int axis = shape.Length - 1; axis >= 0 && ++index[axis] == shape[axis]; axis--)
            {
                index[axis] = 0;
            }
        }
        return positions;
    }

    /// <summary>Axes from the attribute (before opset 13) or input 1 (from 13), normalized against <paramref name="rank"/>, distinct; null when none are given.</summary>
    private static int[]? AxesOf(OnnxNodeContext node, int rank, int inputSince13 = 1)
    {
        var axes = node.Opset < 13 ? node.Ints("axes")?.ToArray() : node.Integers(inputSince13);
        if (axes is null)
        {
            return null;
        }
        var normalized = axes.Select(axis => Axis(node, axis, rank)).ToArray();
        return normalized.Distinct().Count() == normalized.Length ? normalized : throw node.Error($"axes [{string.Join(", ", axes)}] repeat an axis");
    }

    private static OnnxValue[] Squeeze(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var axes = AxesOf(node, x.Rank) ?? [.. Enumerable.Range(0, x.Rank).Where(axis => x.Shape[axis] == 1)];
        foreach (int axis in axes)
        {
            if (x.Shape[axis] != 1)
            {
                throw node.Error($"axis {axis} of {x.Describe()} has size {x.Shape[axis]}, not 1");
            }
        }
        return One(x.Reshape([.. x.Shape.Where((_, axis) => !axes.Contains(axis))]));
    }

    private static OnnxValue[] Unsqueeze(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var given = (node.Opset < 13 ? node.Ints("axes")?.ToArray() : node.Integers(1)) ?? throw node.Error("the axes are missing");
        int rank = x.Rank + given.Length;
        var axes = given.Select(axis => Axis(node, axis, rank)).ToHashSet();
        if (axes.Count != given.Length)
        {
            throw node.Error($"axes [{string.Join(", ", given)}] repeat an axis");
        }
        var shape = new int[rank];
        for (int axis = 0, source = 0; axis < rank; axis++)
        {
            shape[axis] = axes.Contains(axis) ? 1 : x.Shape[source++];
        }
        return One(x.Reshape(shape));
    }

    private static OnnxValue[] Concat(OnnxNodeContext node)
    {
        var inputs = Enumerable.Range(0, node.Inputs.Count).Select(node.Input).ToList();
        var first = inputs[0];
        int axis = Axis(node, node.Opset < 4 ? node.Int("axis", 1) : node.Has("axis") ? node.Int("axis", 0) : throw node.Error("the axis attribute is missing"), first.Rank);
        foreach (var input in inputs)
        {
            if (input.Type != first.Type || input.Rank != first.Rank || Enumerable.Range(0, first.Rank).Any(i => i != axis && input.Shape[i] != first.Shape[i]))
            {
                throw node.Error($"cannot concatenate {string.Join(", ", inputs.Select(v => v.Describe()))} along axis {axis}");
            }
        }
        var shape = (int[])first.Shape.Clone();
        shape[axis] = Checked(node, [inputs.Sum(input => input.Shape[axis])])[0];
        if (first.IsFloat)
        {
            var parts = inputs.Where(input => input.Shape[axis] > 0).Select(input => input.Float!).ToList();
            return One(parts.Count == 0 ? OnnxValue.Of(Tensor.Zeros(shape)) : OnnxValue.Of(parts.Count == 1 ? parts[0] : Ops.Concat(parts, axis)));
        }
        int outer = shape[..axis].Aggregate(1, (a, b) => a * b);
        var data = new List<long>();
        for (int o = 0; o < outer; o++)
        {
            foreach (var input in inputs)
            {
                int block = input.Count / Math.Max(outer, 1);
                data.AddRange(input.Ints!.AsSpan(o * block, block).ToArray());
            }
        }
        return One(OnnxValue.Of(first.Type, [.. data], shape));
    }

    /// <summary>Split along <c>axis</c> into the given sizes (attribute before opset 13, input since), or into equal parts, one per output.</summary>
    private static OnnxValue[] Split(OnnxNodeContext node)
    {
        var x = node.Input(0);
        int axis = Axis(node, node.Int("axis", 0), x.Rank);
        int size = x.Shape[axis], parts = node.OutputCount;
        var sizes = (node.Opset < 13 ? node.Ints("split")?.ToArray() : node.Integers(1))?.Select(s => Size(node, s, "split size")).ToArray()
            ?? (size % parts == 0 ? [.. Enumerable.Repeat(size / parts, parts)] : throw node.Error($"axis {axis} of {x.Describe()} does not split into {parts} equal parts"));
        if (sizes.Length != parts || sizes.Sum() != size)
        {
            throw node.Error($"split [{string.Join(", ", sizes)}] does not cut axis {axis} of {x.Describe()} into {parts} outputs");
        }
        var outputs = new OnnxValue[parts];
        for (int i = 0, start = 0; i < parts; start += sizes[i], i++)
        {
            outputs[i] = SliceOf(x, [axis], [start], [sizes[i]], [1]);
        }
        return outputs;
    }

    /// <summary>The elements from <paramref name="starts"/> by <paramref name="steps"/>, <paramref name="counts"/> of them, along <paramref name="axes"/>.</summary>
    private static OnnxValue SliceOf(OnnxValue x, int[] axes, long[] starts, int[] counts, long[] steps)
    {
        var shape = (int[])x.Shape.Clone();
        var start = new long[x.Rank];
        var step = Enumerable.Repeat(1L, x.Rank).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            shape[axes[i]] = counts[i];
            start[axes[i]] = starts[i];
            step[axes[i]] = steps[i];
        }
        if (x.Float is { } f && steps.All(s => s == 1) && axes.Length == 1)
        {
            return OnnxValue.Of(Ops.Narrow(f, axes[0], (int)starts[0], counts[0]));
        }
        var strides = Shapes.Strides(x.Shape);
        return x.Pick(Positions(shape, (index, _) =>
        {
            long offset = 0;
            for (int axis = 0; axis < index.Length; axis++)
            {
                offset += (start[axis] + index[axis] * step[axis]) * strides[axis];
            }
            return (int)offset;
        }), shape);
    }

    /// <summary>Slice with ONNX's clamping: starts and ends beyond the axis clamp to it (to −1 … size − 1 for a negative step).</summary>
    private static OnnxValue[] Slice(OnnxNodeContext node)
    {
        var x = node.Input(0);
        long[] starts, ends;
        long[]? axesGiven, steps = null;
        if (node.Opset < 10)
        {
            starts = node.Ints("starts")?.ToArray() ?? throw node.Error("the starts attribute is missing");
            ends = node.Ints("ends")?.ToArray() ?? throw node.Error("the ends attribute is missing");
            axesGiven = node.Ints("axes")?.ToArray();
        }
        else
        {
            starts = node.Integers(1) ?? throw node.Error("input 1 (starts) is missing");
            ends = node.Integers(2) ?? throw node.Error("input 2 (ends) is missing");
            axesGiven = node.Integers(3);
            steps = node.Integers(4);
        }
        var axes = (axesGiven ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)]).Select(axis => Axis(node, axis, x.Rank)).ToArray();
        steps ??= [.. Enumerable.Repeat(1L, starts.Length)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length || axes.Distinct().Count() != axes.Length)
        {
            throw node.Error($"starts [{string.Join(", ", starts)}], ends [{string.Join(", ", ends)}], axes [{string.Join(", ", axes)}] and steps [{string.Join(", ", steps)}] do not match");
        }
        var counts = new int[axes.Length];
        var from = new long[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            long size = x.Shape[axes[i]], step = steps[i];
            if (step == 0)
            {
                throw node.Error("a step of 0");
            }
            long start = starts[i] < 0 ? starts[i] + size : starts[i], end = ends[i] < 0 ? ends[i] + size : ends[i];
            (start, end) = step > 0 ? (Math.Clamp(start, 0, size), Math.Clamp(end, 0, size)) : (Math.Clamp(start, 0, size - 1), Math.Clamp(end, -1, size - 1));
            long count = step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step;
            counts[i] = (int)Math.Max(count, 0);
            from[i] = start;
        }
        return One(SliceOf(x, axes, from, counts, steps));
    }

    /// <summary>Gather along <c>axis</c>: data[…, indices[j…], …], negative indices counting from the end.</summary>
    private static OnnxValue[] Gather(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var indices = node.Input(1);
        if (indices.Type is not (OnnxDataType.Int64 or OnnxDataType.Int32))
        {
            throw node.Error($"input 1 is {indices.Describe()}; Gather takes int32 or int64 indices");
        }
        int axis = Axis(node, node.Int("axis", 0), x.Rank);
        int size = x.Shape[axis];
        var picked = indices.Ints!.Select(i => i >= -size && i < size ? (int)(i < 0 ? i + size : i) : throw node.Error($"index {i} is out of range for axis {axis} of {x.Describe()}")).ToArray();
        var shape = Checked(node, [.. x.Shape[..axis], .. indices.Shape, .. x.Shape[(axis + 1)..]]);
        var strides = Shapes.Strides(x.Shape);
        int indexRank = indices.Rank;
        var indexStrides = Shapes.Strides(indices.Shape);
        return One(x.Pick(Positions(shape, (index, _) =>
        {
            int offset = 0, k = 0;
            for (int i = 0; i < indexRank; i++)
            {
                k += index[axis + i] * indexStrides[i];
            }
            for (int a = 0; a < axis; a++)
            {
                offset += index[a] * strides[a];
            }
            offset += picked[k] * strides[axis];
            for (int a = axis + 1; a < x.Rank; a++)
            {
                offset += index[a - 1 + indexRank] * strides[a];
            }
            return offset;
        }), shape));
    }

    /// <summary>GatherElements (torch.gather): the output has the indices' shape; along <c>axis</c> each element takes data at its index.</summary>
    private static OnnxValue[] GatherElements(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var indices = node.Input(1);
        if (indices.Type is not (OnnxDataType.Int64 or OnnxDataType.Int32) || indices.Rank != x.Rank)
        {
            throw node.Error($"indices {indices.Describe()} for data {x.Describe()}: GatherElements takes int32 or int64 indices of the data's rank");
        }
        int axis = Axis(node, node.Int("axis", 0), x.Rank);
        int size = x.Shape[axis];
        var strides = Shapes.Strides(x.Shape);
        var shape = indices.Shape;
        var picked = indices.Ints!;
        return One(x.Pick(Positions(shape, (index, flat) =>
        {
            long i = picked[flat];
            if (i < -size || i >= size || Enumerable.Range(0, shape.Length).Any(a => a != axis && index[a] >= x.Shape[a]))
            {
                throw node.Error($"index {i} at {Shapes.Format(index)} is out of range for data {x.Describe()}");
            }
            int offset = 0;
            for (int a = 0; a < index.Length; a++)
            {
                offset += (a == axis ? (int)(i < 0 ? i + size : i) : index[a]) * strides[a];
            }
            return offset;
        }), shape));
    }

    /// <summary>The upper (j − i ≥ k) or lower (j − i ≤ k) triangle of the last two axes; the rest becomes 0.</summary>
    private static OnnxValue[] Trilu(OnnxNodeContext node)
    {
        var x = node.Input(0);
        if (x.Rank < 2)
        {
            throw node.Error($"input 0 is {x.Describe()}; Trilu takes [*, N, M]");
        }
        long k = node.Scalar(1) is { } given ? (long)given : 0;
        bool upper = node.Int("upper", 1) != 0;
        int rows = x.Shape[^2], columns = x.Shape[^1];
        var keep = Positions(x.Shape, (index, _) =>
        {
            long offset = index[^1] - (long)index[^2];
            return (upper ? offset >= k : offset <= k) ? 1 : 0;
        });
        if (x.Float is { } f)
        {
            return One(OnnxValue.Of(Ops.Where(Tensor.From([.. keep.Select(v => (float)v)], x.Shape), f, Tensor.Scalar(0f))));
        }
        return One(OnnxValue.Of(x.Type, [.. x.Ints!.Select((v, i) => keep[i] == 1 ? v : 0)], x.Shape));
    }

    private static OnnxValue[] Expand(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var target = (node.Integers(1) ?? throw node.Error("input 1 (the shape) is missing")).Select(size => Size(node, size, "shape size")).ToArray();
        var shape = Checked(node, Shapes.Broadcast(x.Shape, target, "Expand"));
        return One(x.Float is { } f ? OnnxValue.Of(Ops.BroadcastTo(f, shape)) : x.Pick(BroadcastSource(x.Shape, shape), shape));
    }

    private static OnnxValue[] Tile(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var repeats = node.Integers(1) ?? throw node.Error("input 1 (the repeats) is missing");
        if (repeats.Length != x.Rank)
        {
            throw node.Error($"{repeats.Length} repeats for {x.Describe()}");
        }
        var shape = Checked(node, [.. x.Shape.Select((size, axis) => (int)Math.Min((long)size * Size(node, repeats[axis], "repeat"), int.MaxValue))]);
        var strides = Shapes.Strides(x.Shape);
        return One(x.Pick(Positions(shape, (index, _) => index.Select((i, axis) => i % x.Shape[axis] * strides[axis]).Sum()), shape));
    }

    /// <summary>The input's shape as int64, from <c>start</c> to <c>end</c> (opset 15; clamped, negative from the end).</summary>
    private static OnnxValue[] Shape(OnnxNodeContext node)
    {
        var shape = node.Input(0).Shape;
        long Clamp(long axis) => Math.Clamp(axis < 0 ? axis + shape.Length : axis, 0, shape.Length);
        int start = (int)Clamp(node.Int("start", 0)), end = (int)Clamp(node.Int("end", shape.Length));
        return One(OnnxValue.Int64s([.. shape[start..Math.Max(start, end)].Select(size => (long)size)]));
    }

    private static OnnxValue[] ConstantOfShape(OnnxNodeContext node)
    {
        var shape = Checked(node, [.. (node.Integers(0) ?? throw node.Error("input 0 (the shape) is missing")).Select(size => Size(node, size, "shape size"))]);
        var value = node.Tensor("value") is { } tensor ? TensorValue(tensor, node.Error) : OnnxValue.Of(Tensor.Scalar(0f));
        if (value.Count != 1)
        {
            throw node.Error($"the value attribute holds {value.Count} elements, not 1");
        }
        int count = Shapes.CheckedCount(shape, "ConstantOfShape");
        return One(value.Float is { } f
            ? OnnxValue.Of(Tensor.Full(shape, f.ToArray()[0]))
            : OnnxValue.Of(value.Type, [.. Enumerable.Repeat(value.Ints![0], count)], shape));
    }

    private static OnnxValue[] Constant(OnnxNodeContext node)
    {
        if (node.Tensor("value") is { } tensor)
        {
            return One(TensorValue(tensor, node.Error));
        }
        if (node.Has("value_float"))
        {
            return One(OnnxValue.Of(Tensor.Scalar(node.Float("value_float", 0))));
        }
        if (node.Floats("value_floats") is { } floats)
        {
            return One(OnnxValue.Of(Tensor.From([.. floats], [floats.Count])));
        }
        if (node.Has("value_int"))
        {
            return One(OnnxValue.Of(OnnxDataType.Int64, [node.Int("value_int", 0)], []));
        }
        return node.Ints("value_ints") is { } ints
            ? One(OnnxValue.Int64s([.. ints]))
            : throw node.Error("no value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported)");
    }

    /// <summary>Cast between float32, the integer types and bool: floats truncate toward zero, integers wrap to their type, bool is x ≠ 0.</summary>
    private static OnnxValue[] Cast(OnnxNodeContext node)
    {
        var x = node.Input(0);
        var to = (OnnxDataType)node.Int("to", 0);
        if (!OnnxValue.Holds(to))
        {
            throw node.Error($"cast to {OnnxTensor.Describe(to)}, which Neurite does not support (float32, integers and bool)");
        }
        if (to == OnnxDataType.Float)
        {
            return One(x.Float is not null ? x : OnnxValue.Of(Tensor.From([.. x.Ints!.Select(v => x.Type == OnnxDataType.UInt64 ? (float)(ulong)v : (float)v)], x.Shape)));
        }
        var values = x.Float is { } f
            ? f.ToArray().Select(v => to == OnnxDataType.Bool ? (v != 0 ? 1L : 0L) : float.IsNaN(v) ? 0 : (long)MathF.Truncate(v))
            : x.Ints!.AsEnumerable();
        return One(OnnxValue.Of(to, [.. values.Select(v => Wrap(to, v))], x.Shape));
    }

    /// <summary>start, start + delta, … below limit (above it for a negative delta).</summary>
    private static OnnxValue[] Range(OnnxNodeContext node)
    {
        var start = node.Input(0);
        double from = node.Scalar(0)!.Value, limit = node.Scalar(1)!.Value, delta = node.Scalar(2)!.Value;
        double steps = Math.Ceiling((limit - from) / delta);
        if (delta == 0 || !(steps <= Array.MaxLength))
        {
            throw node.Error($"a range from {Text(from)} to {Text(limit)} by {Text(delta)}");
        }
        node.CheckElements(steps, $"a range from {Text(from)} to {Text(limit)} by {Text(delta)}");
        int count = (int)Math.Max(steps, 0);
        return One(start.IsFloat
            ? OnnxValue.Of(Tensor.From([.. Enumerable.Range(0, count).Select(i => (float)(from + i * delta))], [count]))
            : OnnxValue.Of(start.Type, [.. Enumerable.Range(0, count).Select(i => Wrap(start.Type, (long)from + i * (long)delta))], [count]));
    }
}
