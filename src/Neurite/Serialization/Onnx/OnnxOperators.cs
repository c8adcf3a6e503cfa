using System.Globalization;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>Runs one node: its outputs, in order, from its context (inputs, attributes, opset).</summary>
internal delegate OnnxValue[] OnnxKernel(OnnxNodeContext node);

/// <summary>
/// An ONNX operator Neurite runs: its kernel, the attributes it knows (any other is refused when a graph is
/// loaded), and the inputs it reads as constants rather than differentiates through (a shape, axes, clip bounds,
/// batch norm's running statistics): a float initializer used only there is a buffer, not a parameter.
/// </summary>
internal sealed record OnnxOperator(string Name, OnnxKernel Run, IReadOnlyList<string> Attributes, IReadOnlyList<int>? StaticInputs = null)
{
    public bool IsStatic(int input) => StaticInputs?.Contains(input) == true;
}

/// <summary>
/// The operators an imported graph may use, keyed by op type, one family per file (OnnxOperators.*.cs); a new
/// family adds its list to <see cref="All"/>. Kernels build on Neurite's differentiable ops, so that imported
/// graphs train.
/// </summary>
internal static partial class OnnxOperators
{
    private static readonly Dictionary<string, OnnxOperator> All =
        new[] { Elementwise(), Activations(), Shaping(), Reductions(), Normalization(), Losses(), Convolution(), Recurrent() }.SelectMany(family => family).ToDictionary(op => op.Name, StringComparer.Ordinal);

    public static OnnxOperator? Find(string opType) => All.GetValueOrDefault(opType);

    /// <summary>The supported op types, sorted.</summary>
    public static IReadOnlyList<string> Names => [.. All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>One value out.</summary>
    private static OnnxValue[] One(OnnxValue value) => [value];

    /// <summary>For each element of a tensor of shape <paramref name="to"/>, the flat index of the element of <paramref name="from"/> that broadcasts onto it.</summary>
    internal static int[] BroadcastSource(int[] from, int[] to)
    {
        var strides = Shapes.BroadcastStrides(from, to);
        int count = Shapes.CheckedCount(to, "broadcast");
        var source = new int[count];
        var index = new int[to.Length];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            source[i] = offset;
            for (int axis = to.Length - 1; axis >= 0; axis--)
            {
                if (++index[axis] < to[axis])
                {
                    offset += strides[axis];
                    break;
                }
                offset -= strides[axis] * (to[axis] - 1);
                index[axis] = 0;
            }
        }
        return source;
    }

    /// <summary>An integer wrapped to its ONNX type, as numpy wraps uint8 sums.</summary>
    internal static long Wrap(OnnxDataType type, long value) => type switch
    {
        OnnxDataType.Bool => value != 0 ? 1 : 0,
        OnnxDataType.UInt8 => (byte)value,
        OnnxDataType.Int8 => (sbyte)value,
        OnnxDataType.Int16 => (short)value,
        OnnxDataType.UInt16 => (ushort)value,
        OnnxDataType.Int32 => (int)value,
        OnnxDataType.UInt32 => (uint)value,
        _ => value,
    };

    /// <summary>An axis attribute or value mapped onto 0 … rank − 1.</summary>
    internal static int Axis(OnnxNodeContext node, long axis, int rank, string what = "axis")
    {
        long normalized = axis < 0 ? axis + rank : axis;
        return normalized >= 0 && normalized < Math.Max(rank, 1) && rank > 0
            ? (int)normalized
            : throw node.Error($"{what} {axis} is out of range for rank {rank}");
    }

    /// <summary>A size read from a graph value, which must fit a tensor axis.</summary>
    internal static int Size(OnnxNodeContext node, long size, string what) =>
        size is >= 0 and <= int.MaxValue ? (int)size : throw node.Error($"{what} {size} is not a size a tensor can have");

    /// <summary>
    /// A shape computed from the graph, refused (by node) when it has more elements than the run's budget
    /// (<see cref="OnnxElementBudget"/>), so that a small file cannot make a run allocate without bound.
    /// </summary>
    internal static int[] Checked(OnnxNodeContext node, int[] shape)
    {
        node.CheckElements(ElementCount(shape), $"shape {Shapes.Format(shape)}");
        return shape;
    }

    /// <summary>The number of elements of a shape, saturating instead of overflowing.</summary>
    internal static double ElementCount(IEnumerable<int> shape) => shape.Aggregate(1d, (count, size) => count * size);

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One node as its kernel sees it: the inputs (null where an optional one is omitted), attributes with their defaults, the opset, and the mode.</summary>
internal sealed class OnnxNodeContext(OnnxNode node, string where, long opset, bool training, Generator rng, OnnxValue?[] inputs, OnnxElementBudget budget)
{
    public OnnxNode Node { get; } = node;

    /// <summary>The default-domain opset the graph imports, for operators whose meaning changed across versions.</summary>
    public long Opset { get; } = opset;

    /// <summary>Whether the module is in training mode (dropout active, batch norm on batch statistics).</summary>
    public bool Training { get; } = training;

    /// <summary>The generator dropout draws its masks from.</summary>
    public Generator Rng { get; } = rng;

    public IReadOnlyList<OnnxValue?> Inputs { get; } = inputs;

    /// <summary>Refuses <paramref name="what"/>, of <paramref name="count"/> elements, when it exceeds the run's budget (<see cref="OnnxElementBudget"/>).</summary>
    public void CheckElements(double count, string what)
    {
        if (count > budget.MaxElements)
        {
            throw Error($"{what} has {count:N0} elements, more than this run may make ({budget.Describe()})");
        }
    }

    public int OutputCount => Node.Outputs.Count;

    /// <summary>An error about this node, to throw: "WHERE: node 3 'name' (Op): detail".</summary>
    public InvalidDataException Error(string detail) => new($"{where}: {detail}");

    /// <summary>Input <paramref name="index"/>, which must be given.</summary>
    public OnnxValue Input(int index) =>
        Optional(index) ?? throw Error($"input {index} is missing; {Node.OpType} needs it");

    /// <summary>Input <paramref name="index"/>, or null when it is omitted.</summary>
    public OnnxValue? Optional(int index) => index < Inputs.Count ? Inputs[index] : null;

    /// <summary>Input <paramref name="index"/> as float values.</summary>
    public Tensor Float(int index)
    {
        var value = Input(index);
        return value.Float ?? throw Error($"input {index} is {value.Describe()}; {Node.OpType} takes float32 here");
    }

    /// <summary>An optional input that holds integers (axes, a shape, split sizes), or null when it is omitted.</summary>
    public long[]? Integers(int index)
    {
        var value = Optional(index);
        if (value is null)
        {
            return null;
        }
        return value.Ints ?? throw Error($"input {index} is {value.Describe()}; {Node.OpType} takes integers there");
    }

    /// <summary>An optional scalar input (a one-element tensor), as a number, or null when it is omitted.</summary>
    public double? Scalar(int index)
    {
        var value = Optional(index);
        if (value is null)
        {
            return null;
        }
        return value.Count == 1 ? value.Numbers()[0] : throw Error($"input {index} is {value.Describe()}; {Node.OpType} takes a single value there");
    }

    public bool Has(string name) => Node.Attribute(name) is not null;

    public long Int(string name, long fallback) => Attribute(name, OnnxAttributeType.Int)?.Int ?? fallback;

    public float Float(string name, float fallback) => Attribute(name, OnnxAttributeType.Float)?.Float ?? fallback;

    public string String(string name, string fallback) => Attribute(name, OnnxAttributeType.String)?.String ?? fallback;

    public IReadOnlyList<long>? Ints(string name) => Attribute(name, OnnxAttributeType.Ints)?.Ints;

    public IReadOnlyList<float>? Floats(string name) => Attribute(name, OnnxAttributeType.Floats)?.Floats;

    public OnnxTensor? Tensor(string name) => Attribute(name, OnnxAttributeType.Tensor)?.Tensor;

    private OnnxAttribute? Attribute(string name, OnnxAttributeType type)
    {
        var attribute = Node.Attribute(name);
        return attribute is null || attribute.Type == type
            ? attribute
            : throw Error($"attribute '{name}' is {attribute.Type.ToString().ToUpperInvariant()}, {Node.OpType} takes {type.ToString().ToUpperInvariant()}");
    }
}

/// <summary>
/// How many elements one value of a graph run may have: <see cref="Factor"/> times the elements the run starts from
/// (its data inputs and the graph's initializers), and at least <see cref="Floor"/>. Real networks stay far inside
/// it (a convolution's unfolded windows are the largest value, kernel-area times its output); a graph that pads,
/// expands or tiles a small input into a huge one is refused before it allocates.
/// </summary>
internal readonly record struct OnnxElementBudget(long StartingElements)
{
    public const long Factor = 64;

    public const long Floor = 1 << 18;

    public long MaxElements => Math.Min(Array.MaxLength, Math.Max(Floor, Factor * StartingElements));

    public string Describe() =>
        $"at most {MaxElements:N0}: {Factor} × the {StartingElements:N0} elements of its inputs and weights, and at least {Floor:N0}";
}
