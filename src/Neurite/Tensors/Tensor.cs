using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Neurite.Tensors;

/// <summary>
/// A dense float32 tensor of any rank, stored row-major (the last axis varies fastest).
/// </summary>
/// <remarks>
/// A tensor's elements are <see cref="Count"/> consecutive floats of a storage array, starting at a
/// storage offset. Most ops write a new tensor that has an array of its own; a view shares the
/// storage of the tensor it was taken from: Reshape (same elements), and Narrow, Select and Unbind
/// along the leading axis (a contiguous run of the elements, at an offset). Writing through a view
/// changes the tensor it was taken from. Autograd state lives in Autograd/Tensor.Autograd.cs, the
/// operators in Autograd/Tensor.Operators.cs.
/// Enumerating a tensor yields its elements in row-major order, which also lets a collection
/// expression build a vector: <c>Tensor v = [1f, 2f, 3f];</c>.
/// </remarks>
[CollectionBuilder(typeof(Tensor), nameof(FromSpan))]
public partial class Tensor : IEnumerable<float>
{
    private readonly float[] _data;
    private readonly int _offset;
    private readonly int _count;
    private readonly int[] _shape;

    /// <summary>
    /// For a view, the tensor whose array it shares (the first one, never a view): kept reachable while the view is, so
    /// that <see cref="BufferPool.Sweep"/> cannot recycle an array a view still reads.
    /// </summary>
    private readonly Tensor? _base;

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    internal Tensor(float[] data, int[] shape)
    {
        long count = Shapes.CountOf(shape, "Tensor");
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"Tensor: shape {Shapes.Format(shape)} holds {count} elements but the data has {data.Length}.");
        }
        _data = data;
        _count = data.Length;
        _shape = shape;
    }

    /// <summary>
    /// A view: the elements of <paramref name="source"/>'s storage from its offset plus <paramref name="offset"/>,
    /// under <paramref name="shape"/>, which must fit within source's elements.
    /// </summary>
    internal Tensor(Tensor source, int offset, int[] shape)
    {
        long count = Shapes.CountOf(shape, "Tensor");
        if (offset < 0 || offset + count > source._count)
        {
            throw new ArgumentException(
                $"Tensor: a view of shape {Shapes.Format(shape)} at offset {offset} does not fit in the {source._count} elements of shape {Shapes.Format(source._shape)}.");
        }
        _data = source._data;
        _base = source._base ?? source;
        _offset = source._offset + offset;
        _count = (int)count;
        _shape = shape;
    }

    /// <summary>The size of each axis. Empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of axes.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of the shape; 1 for a scalar).</summary>
    public int Count => _count;

    /// <summary>
    /// The elements in row-major order: exactly this tensor's, also for a view. Writing through the span changes the
    /// tensor (and every view that shares the elements).
    /// </summary>
    public Span<float> Data =>
        // The constructors check that [offset, offset + count) lies in the array, so the span needs no second check.
        MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_data), _offset), _count);

    /// <summary>
    /// The storage array, which a view shares with the tensor it was taken from; only the autograd walk and the
    /// buffer pool use it, to tell whether two tensors share storage and to recycle a whole array.
    /// </summary>
    internal float[] Storage => _data;

    /// <summary>Whether this tensor's elements are all of its storage array (true for every tensor that is not a part view).</summary>
    internal bool SpansStorage => _offset == 0 && _count == _data.Length;

    /// <summary>Whether the two tensors' elements lie in one storage array (a tensor and its views, or two views of one tensor).</summary>
    internal bool SharesStorage(Tensor other) => ReferenceEquals(_data, other._data);

    internal int[] ShapeArray => _shape;

    /// <summary>The size of axis <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Size(int axis) => _shape[Shapes.NormalizeAxis(axis, Rank, nameof(Size))];

    /// <summary>The element at the given index, one coordinate per axis.</summary>
    [IndexerName("Element")]
    public float this[params int[] index]
    {
        get => _data[_offset + FlatIndex(index)];
        set => _data[_offset + FlatIndex(index)] = value;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1)
        {
            throw new InvalidOperationException(
                $"Item: only a one-element tensor has an item value; this one has shape {Shapes.Format(_shape)}.");
        }
        return _data[_offset];
    }

    /// <summary>A copy of the elements in row-major order.</summary>
    public float[] ToArray() => Data.ToArray();

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
        {
            throw new IndexOutOfRangeException(
                $"Tensor index: {index.Length} indices given for a tensor of shape {Shapes.Format(_shape)}.");
        }
        int flat = 0;
        for (int axis = 0; axis < index.Length; axis++)
        {
            int i = index[axis];
            if ((uint)i >= (uint)_shape[axis])
            {
                throw new IndexOutOfRangeException(
                    $"Tensor index: index {i} is out of range for axis {axis} of size {_shape[axis]} (shape {Shapes.Format(_shape)}).");
            }
            flat = flat * _shape[axis] + i;
        }
        return flat;
    }

    // ---- Creation -------------------------------------------------------------------------

    /// <summary>A tensor of the given shape filled with zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<int> shape, bool requiresGrad = false) =>
        new Tensor(new float[Shapes.CheckedCount(shape, nameof(Zeros))], shape.ToArray()) { RequiresGrad = requiresGrad };

    /// <summary>A tensor of the given shape filled with ones.</summary>
    public static Tensor Ones(ReadOnlySpan<int> shape, bool requiresGrad = false) => Full(shape, 1f, requiresGrad);

    /// <summary>A tensor of the given shape filled with <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, float value, bool requiresGrad = false)
    {
        var data = new float[Shapes.CheckedCount(shape, nameof(Full))];
        data.AsSpan().Fill(value);
        return new Tensor(data, shape.ToArray()) { RequiresGrad = requiresGrad };
    }

    /// <summary>
    /// A tensor of the given shape whose contents are unspecified (for ops that overwrite them), on an array lent by
    /// <see cref="BufferPool"/>: once the tensor and its views are unreachable, <see cref="BufferPool.Sweep"/> takes the
    /// array back for the next tensor of its size.
    /// </summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape) => BufferPool.Lend(shape.ToArray(), nameof(Empty));

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(float value, bool requiresGrad = false) =>
        new Tensor([value], []) { RequiresGrad = requiresGrad };

    /// <summary>The values start, start + step, … below <paramref name="end"/> (as torch.arange).</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || !float.IsFinite(step) || !float.IsFinite(start) || !float.IsFinite(end))
        {
            throw new ArgumentException($"Arange: start {start}, end {end} and step {step} must be finite and step non-zero.");
        }
        double length = Math.Ceiling(((double)end - start) / step);
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"Arange: {length} elements are more than a tensor can hold.");
        }
        int count = (int)Math.Max(0, length);
        var data = new float[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = (float)(start + (double)i * step);
        }
        return new Tensor(data, [count]);
    }

    /// <summary>The values 0, 1, …, <paramref name="end"/> − 1.</summary>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>A vector holding a copy of <paramref name="values"/>; the target of collection expressions.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> values) => new(values.ToArray(), [values.Length]);

    /// <summary>A tensor of the given shape holding a copy of <paramref name="values"/> (row-major).</summary>
    public static Tensor From(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, bool requiresGrad = false) =>
        new Tensor(values.ToArray(), shape.ToArray()) { RequiresGrad = requiresGrad };

    /// <summary>A vector holding a copy of <paramref name="values"/>.</summary>
    public static Tensor From(ReadOnlySpan<float> values, bool requiresGrad = false) =>
        new Tensor(values.ToArray(), [values.Length]) { RequiresGrad = requiresGrad };

    /// <summary>A matrix holding a copy of a rectangular array.</summary>
    public static Tensor From(float[,] values, bool requiresGrad = false)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var data = new float[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                data[i * cols + j] = values[i, j];
            }
        }
        return new Tensor(data, [rows, cols]) { RequiresGrad = requiresGrad };
    }

    /// <summary>A matrix from rows of equal length, e.g. <c>Tensor.From([[1f, 2f], [3f, 4f]])</c>.</summary>
    public static Tensor From(float[][] rows, bool requiresGrad = false)
    {
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var data = new float[rows.Length * cols];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i].Length != cols)
            {
                throw new ArgumentException(
                    $"Tensor.From: row {i} has {rows[i].Length} values but row 0 has {cols}; rows must have equal lengths.");
            }
            rows[i].CopyTo(data, i * cols);
        }
        return new Tensor(data, [rows.Length, cols]) { RequiresGrad = requiresGrad };
    }

    /// <summary>Uniform draws from [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(ReadOnlySpan<int> shape, float low, float high, Generator rng, bool requiresGrad = false)
    {
        var t = Empty(shape);
        rng.FillUniform(t.Data, low, high);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Normal draws with the given mean and standard deviation.</summary>
    public static Tensor Normal(ReadOnlySpan<int> shape, float mean, float std, Generator rng, bool requiresGrad = false)
    {
        var t = Empty(shape);
        rng.FillNormal(t.Data, mean, std);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Bernoulli draws: 1 with probability <paramref name="p"/>, else 0.</summary>
    public static Tensor Bernoulli(ReadOnlySpan<int> shape, float p, Generator rng)
    {
        var t = Empty(shape);
        rng.FillBernoulli(t.Data, p);
        return t;
    }

    /// <summary>A new tensor with the same shape and a copy of the data (an array of its own, also for a view); no autograd history.</summary>
    public Tensor Clone() => new(Data.ToArray(), (int[])_shape.Clone());

    /// <summary>A tensor of the same shape filled with <paramref name="value"/>.</summary>
    public Tensor FullLike(float value) => Full(_shape, value);

    /// <summary>A tensor of zeros with the same shape.</summary>
    public Tensor ZerosLike() => Zeros(_shape);

    /// <summary>A tensor of ones with the same shape.</summary>
    public Tensor OnesLike() => Ones(_shape);

    /// <summary>A tensor sharing this one's data under another shape (no autograd; see Ops.Reshape).</summary>
    internal Tensor View(int[] shape) => new(this, 0, shape);

    /// <summary>A tensor sharing <paramref name="shape"/>'s count of this one's elements from <paramref name="offset"/> on (no autograd; see Ops.Narrow).</summary>
    internal Tensor View(int offset, int[] shape) => new(this, offset, shape);

    public IEnumerator<float> GetEnumerator()
    {
        for (int i = 0; i < _count; i++)
        {
            yield return _data[_offset + i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
