using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// A value flowing through an imported ONNX graph: a float32 tensor (a Neurite <see cref="Tensor"/>, so that
/// gradients flow through it), or integers or booleans (shapes, indices, masks) as int64 values with their ONNX
/// element type. Other element types (float64, float16, strings) are not values here.
/// </summary>
internal sealed class OnnxValue
{
    private OnnxValue(OnnxDataType type, int[] shape, Tensor? floats, long[]? ints)
    {
        Type = type;
        Shape = shape;
        Float = floats;
        Ints = ints;
    }

    public OnnxDataType Type { get; }

    public int[] Shape { get; }

    /// <summary>The values of a float32 value.</summary>
    public Tensor? Float { get; }

    /// <summary>The values of an integer or boolean value (booleans as 0 and 1).</summary>
    public long[]? Ints { get; }

    public bool IsFloat => Float is not null;

    public int Rank => Shape.Length;

    public int Count => Float?.Count ?? Ints!.Length;

    public static OnnxValue Of(Tensor tensor) => new(OnnxDataType.Float, tensor.ShapeArray, tensor, null);

    /// <summary>An integer or boolean value; the data is taken as it is.</summary>
    public static OnnxValue Of(OnnxDataType type, long[] data, int[] shape) => new(type, shape, null, data);

    public static OnnxValue Int64s(params long[] values) => Of(OnnxDataType.Int64, values, [values.Length]);

    public static OnnxValue Bools(bool[] values, int[] shape) => Of(OnnxDataType.Bool, [.. values.Select(v => v ? 1L : 0L)], shape);

    /// <summary>Whether ONNX's element type is one a value can hold: float32, the integers up to 64 bits, bool.</summary>
    public static bool Holds(OnnxDataType type) => type is OnnxDataType.Float or OnnxDataType.Bool or OnnxDataType.Int8 or OnnxDataType.UInt8
        or OnnxDataType.Int16 or OnnxDataType.UInt16 or OnnxDataType.Int32 or OnnxDataType.UInt32 or OnnxDataType.Int64 or OnnxDataType.UInt64;

    /// <summary>A tensor's values (a constant or initializer); null when its element type is not one a value holds.</summary>
    public static OnnxValue? FromTensor(OnnxTensor tensor, int[] shape) => tensor.DataType switch
    {
        OnnxDataType.Float when tensor.FloatData is { } data => Of(Tensor.From(data, shape)),
        _ when Holds(tensor.DataType) && tensor.IntData is { } ints => Of(tensor.DataType, ints, shape),
        _ => null,
    };

    /// <summary>"float [2, 3]".</summary>
    public string Describe() => $"{OnnxTensor.Describe(Type)} {Shapes.Format(Shape)}";

    /// <summary>The values as doubles (for reading scalars and small vectors whatever their type).</summary>
    public double[] Numbers() => Float is not null ? [.. Float.ToArray().Select(v => (double)v)] : [.. Ints!.Select(v => (double)v)];

    /// <summary>
    /// The values picked by <paramref name="source"/> (flat indices into this value) as a value of
    /// <paramref name="shape"/>: how data-movement ops (gather, slice, tile, transpose) move any element type.
    /// Float values go through IndexSelect, so that the gradient flows back to the picked elements.
    /// </summary>
    public OnnxValue Pick(int[] source, int[] shape)
    {
        if (Float is { } x)
        {
            return Of(Ops.Reshape(Ops.IndexSelect(Ops.Reshape(x, [x.Count]), 0, source), shape));
        }
        var ints = Ints!;
        var picked = new long[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            picked[i] = ints[source[i]];
        }
        return Of(Type, picked, shape);
    }

    /// <summary>The same values under another shape with as many elements.</summary>
    public OnnxValue Reshape(int[] shape) => Float is { } x ? Of(Ops.Reshape(x, shape)) : Of(Type, Ints!, shape);
}
