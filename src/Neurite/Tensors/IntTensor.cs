using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Neurite.Tensors;

/// <summary>
/// A dense int32 tensor of any rank, stored row-major: class indices, token ids, positions. Not differentiable;
/// ops that take one (Ops.Embedding, Ops.Gather, Ops.IndexSelect, Ops.OneHot, Losses.CrossEntropy, Losses.NllLoss)
/// read it as indices.
/// </summary>
/// <remarks>
/// <c>IntTensor.From([3, 1, 4])</c> builds a vector. (No collection-expression builder: a bare <c>[3, 1, 4]</c>
/// passed to Ops.IndexSelect already means a span of indices.) <see cref="Reshape"/> shares the data. Prints as
/// PyTorch prints an int32 tensor: <c>tensor([3, 1, 4], dtype=torch.int32)</c>.
/// </remarks>
public sealed class IntTensor : IEnumerable<int>
{
    /// <summary>The largest magnitude a float32 holds exactly together with all smaller integers (2²⁴).</summary>
    private const int MaxExactInFloat = 1 << 24;

    private readonly int[] _data;
    private readonly int[] _shape;

    private IntTensor(int[] data, int[] shape)
    {
        long count = Shapes.CountOf(shape, nameof(IntTensor));
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"IntTensor: shape {Shapes.Format(shape)} holds {count} elements but {data.Length} values were given.");
        }
        _data = data;
        _shape = shape;
    }

    /// <summary>The size of each axis. Empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of axes.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of the shape; 1 for a scalar).</summary>
    public int Count => _data.Length;

    /// <summary>The elements in row-major order. Writing through the span changes the tensor.</summary>
    public Span<int> Data => _data;

    /// <summary>The size of axis <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Size(int axis) => _shape[Shapes.NormalizeAxis(axis, Rank, nameof(Size))];

    /// <summary>The element at the given index, one coordinate per axis.</summary>
    [IndexerName("Element")]
    public int this[params int[] index]
    {
        get => _data[FlatIndex(index)];
        set => _data[FlatIndex(index)] = value;
    }

    /// <summary>The value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more or fewer than one element.</exception>
    public int Item() => Count == 1
        ? _data[0]
        : throw new InvalidOperationException(
            $"IntTensor.Item: only a one-element tensor has an item value; this one has shape {Shapes.Format(_shape)}.");

    /// <summary>A copy of the elements in row-major order.</summary>
    public int[] ToArray() => (int[])_data.Clone();

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
        {
            throw new IndexOutOfRangeException(
                $"IntTensor index: {index.Length} indices given for a tensor of shape {Shapes.Format(_shape)}.");
        }
        int flat = 0;
        for (int axis = 0; axis < index.Length; axis++)
        {
            int i = index[axis];
            if ((uint)i >= (uint)_shape[axis])
            {
                throw new IndexOutOfRangeException(
                    $"IntTensor index: index {i} is out of range for axis {axis} of size {_shape[axis]} (shape {Shapes.Format(_shape)}).");
            }
            flat = flat * _shape[axis] + i;
        }
        return flat;
    }

    // ---- Creation -------------------------------------------------------------------------

    /// <summary>A tensor of the given shape filled with zeros.</summary>
    public static IntTensor Zeros(ReadOnlySpan<int> shape) =>
        new(new int[Shapes.CheckedCount(shape, nameof(Zeros))], shape.ToArray());

    /// <summary>The values 0, 1, …, <paramref name="end"/> − 1 (as torch.arange with an integer end).</summary>
    public static IntTensor Arange(int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(end);
        var data = new int[end];
        for (int i = 0; i < end; i++)
        {
            data[i] = i;
        }
        return new IntTensor(data, [end]);
    }

    /// <summary>A vector holding a copy of <paramref name="values"/>.</summary>
    public static IntTensor From(ReadOnlySpan<int> values) => new(values.ToArray(), [values.Length]);

    /// <summary>A tensor of the given shape holding a copy of <paramref name="values"/> (row-major).</summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly values.Length elements.</exception>
    public static IntTensor From(ReadOnlySpan<int> values, ReadOnlySpan<int> shape) => new(values.ToArray(), shape.ToArray());

    /// <summary>A matrix holding a copy of a rectangular array.</summary>
    public static IntTensor From(int[,] values)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var data = new int[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                data[i * cols + j] = values[i, j];
            }
        }
        return new IntTensor(data, [rows, cols]);
    }

    /// <summary>A matrix from rows of equal length, e.g. <c>IntTensor.From([[1, 2], [3, 4]])</c>.</summary>
    /// <exception cref="ArgumentException">The rows differ in length.</exception>
    public static IntTensor From(int[][] rows)
    {
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var data = new int[rows.Length * cols];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols)
            {
                throw new ArgumentException(
                    $"IntTensor.From: row {i} has {rows[i].Length} values but row 0 has {cols}; rows must have equal lengths.");
            }
            rows[i].CopyTo(data, i * cols);
        }
        return new IntTensor(data, [rows.Length, cols]);
    }

    /// <summary>
    /// The values of a float tensor as integers, same shape (as tensor.int() in PyTorch, but refusing to round).
    /// </summary>
    /// <exception cref="ArgumentException">A value is not a whole number (NaN and ±∞ included) or lies outside the
    /// int32 range; the message names its position.</exception>
    public static IntTensor FromTensor(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var source = values.Data;
        var data = new int[source.Length];
        var shape = values.Shape.ToArray();
        for (int i = 0; i < source.Length; i++)
        {
            float v = source[i];
            // 2³¹ is a float; every float below it (and at or above −2³¹) that is whole fits an int.
            if (v != MathF.Floor(v) || !(v >= int.MinValue && v < 2147483648f))
            {
                throw new ArgumentException(
                    $"IntTensor.FromTensor: value {v.ToString(CultureInfo.InvariantCulture)} at position {Shapes.FormatPosition(shape, i)} is not a whole number in the int32 range (shape {Shapes.Format(shape)}).",
                    nameof(values));
            }
            data[i] = (int)v;
        }
        return new IntTensor(data, shape);
    }

    /// <summary>The values as a float32 tensor of the same shape (as tensor.float() in PyTorch).</summary>
    /// <exception cref="InvalidOperationException">A value's magnitude exceeds 2²⁴ = 16,777,216, beyond which a
    /// float32 no longer holds every integer exactly; the message names its position.</exception>
    public Tensor ToTensor()
    {
        var data = new float[_data.Length];
        for (int i = 0; i < _data.Length; i++)
        {
            int v = _data[i];
            if (v > MaxExactInFloat || v < -MaxExactInFloat)
            {
                throw new InvalidOperationException(
                    $"IntTensor.ToTensor: value {v} at position {Shapes.FormatPosition(_shape, i)} is beyond ±{MaxExactInFloat}, where float32 stops holding every integer exactly.");
            }
            data[i] = v;
        }
        return new Tensor(data, (int[])_shape.Clone());
    }

    /// <summary>The same elements under another shape, sharing the data; one size may be −1 and is inferred.</summary>
    /// <exception cref="ArgumentException">The shape does not hold <see cref="Count"/> elements.</exception>
    public IntTensor Reshape(params ReadOnlySpan<int> shape)
    {
        var target = shape.ToArray();
        int inferred = -1;
        long known = 1;
        bool valid = true;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1 && inferred < 0)
            {
                inferred = i;
            }
            else
            {
                valid &= target[i] >= 0;
                known *= target[i];
            }
        }
        bool fits = inferred >= 0 ? valid && known > 0 && Count % known == 0 : valid && known == Count;
        if (!fits)
        {
            throw new ArgumentException(
                $"IntTensor.Reshape: cannot reshape {Shapes.Format(_shape)} ({Count} elements) to {Shapes.Format(shape)}.");
        }
        if (inferred >= 0)
        {
            target[inferred] = (int)(Count / known);
        }
        return new IntTensor(_data, target);
    }

    /// <summary>Prints as PyTorch prints an integer tensor: right-aligned columns, rows wrapped at 80 characters, and
    /// only the first and last three entries of each axis when there are more than 1000 elements.</summary>
    public override string ToString()
    {
        const string prefix = "tensor(";
        bool summarize = Count > 1000;
        var builder = new StringBuilder(prefix);
        if (Rank == 0)
        {
            builder.Append(_data[0].ToString(CultureInfo.InvariantCulture));
        }
        else if (Count == 0 && Rank > 1)
        {
            builder.Append("[], size=(").AppendJoin(", ", _shape).Append(')');
        }
        else
        {
            int width = WidestShown(0, 0, summarize);
            AppendAxis(builder, 0, 0, width, summarize, prefix.Length);
        }
        return builder.Append(", dtype=torch.int32)").ToString();
    }

    /// <summary>The widest printed value among those shown (all, or the first and last three of each axis).</summary>
    private int WidestShown(int axis, int offset, bool summarize)
    {
        if (axis == Rank)
        {
            return _data[offset].ToString(CultureInfo.InvariantCulture).Length;
        }
        int size = _shape[axis], stride = Product(axis + 1);
        int widest = 1;
        for (int i = 0; i < size; i++)
        {
            if (summarize && size > 6 && i == 3)
            {
                i = size - 4;
                continue;
            }
            widest = Math.Max(widest, WidestShown(axis + 1, offset + i * stride, summarize));
        }
        return widest;
    }

    private int Product(int from)
    {
        int product = 1;
        for (int a = from; a < Rank; a++)
        {
            product *= _shape[a];
        }
        return product;
    }

    private void AppendAxis(StringBuilder builder, int axis, int offset, int width, bool summarize, int indent)
    {
        int size = _shape[axis], stride = Product(axis + 1);
        bool elide = summarize && size > 6;
        var parts = new List<string>();
        for (int i = 0; i < size; i++)
        {
            if (elide && i == 3)
            {
                parts.Add(axis == Rank - 1 ? " ..." : "...");
                i = size - 4;
                continue;
            }
            if (axis == Rank - 1)
            {
                parts.Add(_data[offset + i].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }
            else
            {
                var inner = new StringBuilder();
                AppendAxis(inner, axis + 1, offset + i * stride, width, summarize, indent + 1);
                parts.Add(inner.ToString());
            }
        }
        builder.Append('[');
        if (axis == Rank - 1)
        {
            int perLine = Math.Max(1, (80 - indent) / (width + 2));
            builder.AppendJoin(",\n" + new string(' ', indent + 1), parts.Chunk(perLine).Select(line => string.Join(", ", line)));
        }
        else
        {
            builder.AppendJoin("," + new string('\n', Rank - 1 - axis) + new string(' ', indent + 1), parts);
        }
        builder.Append(']');
    }

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_data).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _data.GetEnumerator();
}
