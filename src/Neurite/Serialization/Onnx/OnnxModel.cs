using System.Buffers.Binary;
using Neurite.IO;

namespace Neurite.Serialization;

/// <summary>ONNX's element types (TensorProto.DataType), by their numbers in onnx.proto.</summary>
public enum OnnxDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>The kinds of value an ONNX attribute holds (AttributeProto.AttributeType).</summary>
public enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>
/// An ONNX model (ModelProto) as far as Neurite reads and writes it: the IR version, the operator sets, the
/// producer, the metadata and the graph. Read by a reader of protobuf's wire format written for this subset of
/// onnx.proto (no protobuf library): a malformed or truncated file is refused with one line naming the byte offset.
/// </summary>
/// <remarks>
/// Fields Neurite does not use (training info, functions' bodies, sparse initializers, type protos inside
/// attributes) are skipped when read and not written. Tensors whose data lie in external files are refused.
/// </remarks>
public sealed class OnnxModel
{
    public long IrVersion { get; init; }

    /// <summary>The operator sets the graph uses: the default domain "" (ai.onnx) and any other.</summary>
    public IReadOnlyList<OnnxOpset> Opsets { get; init; } = [];

    public string ProducerName { get; init; } = "";

    public string ProducerVersion { get; init; } = "";

    public string Domain { get; init; } = "";

    public long ModelVersion { get; init; }

    public string DocString { get; init; } = "";

    /// <summary>metadata_props: free-form key/value strings.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    /// <summary>The number of model-local functions (operators defined in the file), which Neurite does not run.</summary>
    public int FunctionCount { get; init; }

    public required OnnxGraph Graph { get; init; }

    /// <summary>The version of the operator set imported for <paramref name="domain"/> ("" or "ai.onnx": the default), or 0.</summary>
    public long OpsetVersion(string domain = "") =>
        Opsets.LastOrDefault(opset => opset.Domain == domain || (OnnxNode.IsDefaultDomain(opset.Domain) && OnnxNode.IsDefaultDomain(domain)))?.Version ?? 0;

    /// <summary>Reads the ONNX model file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed ONNX model; the message names the byte offset.</exception>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads an ONNX model from its bytes; errors start with <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model.</exception>
    public static OnnxModel Parse(ReadOnlyMemory<byte> bytes, string source)
    {
        try
        {
            return Read(new ProtoReader(bytes));
        }
        catch (ProtoException e)
        {
            throw new InvalidDataException(OneLine.Escape($"{source}: not a valid ONNX model: {e.Message}."));
        }
    }

    /// <summary>The model in protobuf's wire format, as an .onnx file holds it.</summary>
    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        w.Int64(1, IrVersion);
        w.OptionalString(2, ProducerName);
        w.OptionalString(3, ProducerVersion);
        w.OptionalString(4, Domain);
        if (ModelVersion != 0)
        {
            w.Int64(5, ModelVersion);
        }
        w.OptionalString(6, DocString);
        w.Message(7, Graph.Write);
        foreach (var opset in Opsets)
        {
            w.Message(8, o =>
            {
                o.OptionalString(1, opset.Domain);
                o.Int64(2, opset.Version);
            });
        }
        foreach (var (key, value) in Metadata)
        {
            w.Message(14, entry =>
            {
                entry.String(1, key);
                entry.String(2, value);
            });
        }
        return w.ToArray();
    }

    private static OnnxModel Read(ProtoReader r)
    {
        long ir = 0, modelVersion = 0;
        string producer = "", producerVersion = "", domain = "", doc = "";
        OnnxGraph? graph = null;
        var opsets = new List<OnnxOpset>();
        var metadata = new List<KeyValuePair<string, string>>();
        int functions = 0;
        long start = r.Offset;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Varint, field, "ModelProto");
                    ir = r.Int64();
                    break;
                case 2:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    producer = r.String();
                    break;
                case 3:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    producerVersion = r.String();
                    break;
                case 4:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    domain = r.String();
                    break;
                case 5:
                    r.Expect(wire, WireType.Varint, field, "ModelProto");
                    modelVersion = r.Int64();
                    break;
                case 6:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    doc = r.String();
                    break;
                case 7:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    graph = OnnxGraph.Read(r.Message());
                    break;
                case 8:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    opsets.Add(OnnxOpset.Read(r.Message()));
                    break;
                case 14:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    metadata.Add(ReadEntry(r.Message()));
                    break;
                case 25:
                    r.Expect(wire, WireType.Length, field, "ModelProto");
                    r.Bytes();
                    functions++;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return new OnnxModel
        {
            IrVersion = ir,
            ProducerName = producer,
            ProducerVersion = producerVersion,
            Domain = domain,
            ModelVersion = modelVersion,
            DocString = doc,
            Graph = graph ?? throw new ProtoException(start, "the model has no graph"),
            Opsets = opsets,
            Metadata = metadata,
            FunctionCount = functions,
        };
    }

    internal static KeyValuePair<string, string> ReadEntry(ProtoReader r)
    {
        string key = "", value = "";
        while (r.Next(out int field, out var wire))
        {
            if (field is 1 or 2)
            {
                r.Expect(wire, WireType.Length, field, "StringStringEntryProto");
                (field == 1 ? ref key : ref value) = r.String();
            }
            else
            {
                r.Skip(wire);
            }
        }
        return new(key, value);
    }
}

/// <summary>An operator set a model imports: its domain ("" for the default, ai.onnx) and version.</summary>
public sealed record OnnxOpset(string Domain, long Version)
{
    internal static OnnxOpset Read(ProtoReader r)
    {
        string domain = "";
        long version = 0;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Length, field, "OperatorSetIdProto");
                    domain = r.String();
                    break;
                case 2:
                    r.Expect(wire, WireType.Varint, field, "OperatorSetIdProto");
                    version = r.Int64();
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return new OnnxOpset(domain, version);
    }
}

/// <summary>An ONNX graph (GraphProto): nodes in topological order, initializers (weights and constants), inputs and outputs.</summary>
public sealed class OnnxGraph
{
    public string Name { get; init; } = "";

    public IReadOnlyList<OnnxNode> Nodes { get; init; } = [];

    /// <summary>The tensors the graph holds: weights and constants, each named as the value it provides.</summary>
    public IReadOnlyList<OnnxTensor> Initializers { get; init; } = [];

    /// <summary>The graph's inputs; those that an initializer provides have a default and need not be given.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; init; } = [];

    public IReadOnlyList<OnnxValueInfo> Outputs { get; init; } = [];

    /// <summary>Types and shapes of intermediate values, as a producer recorded them (informative).</summary>
    public IReadOnlyList<OnnxValueInfo> ValueInfo { get; init; } = [];

    public string DocString { get; init; } = "";

    /// <summary>The number of sparse initializers, which Neurite does not read.</summary>
    public int SparseInitializerCount { get; init; }

    internal void Write(ProtoWriter w)
    {
        foreach (var node in Nodes)
        {
            w.Message(1, node.Write);
        }
        w.OptionalString(2, Name);
        foreach (var tensor in Initializers)
        {
            w.Message(5, tensor.Write);
        }
        w.OptionalString(10, DocString);
        foreach (var input in Inputs)
        {
            w.Message(11, input.Write);
        }
        foreach (var output in Outputs)
        {
            w.Message(12, output.Write);
        }
        foreach (var info in ValueInfo)
        {
            w.Message(13, info.Write);
        }
    }

    internal static OnnxGraph Read(ProtoReader r)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        var infos = new List<OnnxValueInfo>();
        string name = "", doc = "";
        int sparse = 0;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    nodes.Add(OnnxNode.Read(r.Message()));
                    break;
                case 2:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    name = r.String();
                    break;
                case 5:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    initializers.Add(OnnxTensor.Read(r.Message()));
                    break;
                case 10:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    doc = r.String();
                    break;
                case 11 or 12 or 13:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    (field == 11 ? inputs : field == 12 ? outputs : infos).Add(OnnxValueInfo.Read(r.Message()));
                    break;
                case 15:
                    r.Expect(wire, WireType.Length, field, "GraphProto");
                    r.Bytes();
                    sparse++;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return new OnnxGraph
        {
            Name = name,
            Nodes = nodes,
            Initializers = initializers,
            Inputs = inputs,
            Outputs = outputs,
            ValueInfo = infos,
            DocString = doc,
            SparseInitializerCount = sparse,
        };
    }
}

/// <summary>One operator application (NodeProto): its type, domain, inputs and outputs (value names; "" for an omitted optional one) and attributes.</summary>
public sealed class OnnxNode
{
    public string Name { get; init; } = "";

    public required string OpType { get; init; }

    /// <summary>The operator's domain: "" (or "ai.onnx") for ONNX's own operators.</summary>
    public string Domain { get; init; } = "";

    public IReadOnlyList<string> Inputs { get; init; } = [];

    public IReadOnlyList<string> Outputs { get; init; } = [];

    public IReadOnlyList<OnnxAttribute> Attributes { get; init; } = [];

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name)
    {
        foreach (var attribute in Attributes)
        {
            if (attribute.Name == name)
            {
                return attribute;
            }
        }
        return null;
    }

    /// <summary>How errors name the node: <c>node 3 'Gemm_0' (Gemm)</c>, or without the name when it has none.</summary>
    internal string Describe(int index) => Name.Length > 0 ? $"node {index} '{Name}' ({OpType})" : $"node {index} ({OpType})";

    internal static bool IsDefaultDomain(string domain) => domain is "" or "ai.onnx";

    internal void Write(ProtoWriter w)
    {
        foreach (string input in Inputs)
        {
            w.String(1, input);
        }
        foreach (string output in Outputs)
        {
            w.String(2, output);
        }
        w.OptionalString(3, Name);
        w.String(4, OpType);
        foreach (var attribute in Attributes)
        {
            w.Message(5, attribute.Write);
        }
        w.OptionalString(7, Domain);
    }

    internal static OnnxNode Read(ProtoReader r)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", op = "", domain = "";
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1 or 2:
                    r.Expect(wire, WireType.Length, field, "NodeProto");
                    (field == 1 ? inputs : outputs).Add(r.String());
                    break;
                case 3:
                    r.Expect(wire, WireType.Length, field, "NodeProto");
                    name = r.String();
                    break;
                case 4:
                    r.Expect(wire, WireType.Length, field, "NodeProto");
                    op = r.String();
                    break;
                case 5:
                    r.Expect(wire, WireType.Length, field, "NodeProto");
                    attributes.Add(OnnxAttribute.Read(r.Message()));
                    break;
                case 7:
                    r.Expect(wire, WireType.Length, field, "NodeProto");
                    domain = r.String();
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return new OnnxNode { Name = name, OpType = op, Domain = domain, Inputs = inputs, Outputs = outputs, Attributes = attributes };
    }
}

/// <summary>
/// A named attribute of a node (AttributeProto): one value of <see cref="Type"/>, in the matching property.
/// Strings are UTF-8 text. Sparse tensors and type protos are recorded by their type only.
/// </summary>
public sealed class OnnxAttribute
{
    public required string Name { get; init; }

    public OnnxAttributeType Type { get; init; }

    public float Float { get; init; }

    public long Int { get; init; }

    public string String { get; init; } = "";

    public OnnxTensor? Tensor { get; init; }

    public OnnxGraph? Graph { get; init; }

    public IReadOnlyList<float> Floats { get; init; } = [];

    public IReadOnlyList<long> Ints { get; init; } = [];

    public IReadOnlyList<string> Strings { get; init; } = [];

    public IReadOnlyList<OnnxTensor> Tensors { get; init; } = [];

    public IReadOnlyList<OnnxGraph> Graphs { get; init; } = [];

    /// <summary>In a function body, the attribute of the caller this one refers to; Neurite runs no functions.</summary>
    public string RefAttrName { get; init; } = "";

    public static OnnxAttribute Of(string name, long value) => new() { Name = name, Type = OnnxAttributeType.Int, Int = value };

    public static OnnxAttribute Of(string name, float value) => new() { Name = name, Type = OnnxAttributeType.Float, Float = value };

    public static OnnxAttribute Of(string name, string value) => new() { Name = name, Type = OnnxAttributeType.String, String = value };

    public static OnnxAttribute Of(string name, IReadOnlyList<long> values) => new() { Name = name, Type = OnnxAttributeType.Ints, Ints = values };

    public static OnnxAttribute Of(string name, IReadOnlyList<float> values) => new() { Name = name, Type = OnnxAttributeType.Floats, Floats = values };

    public static OnnxAttribute Of(string name, OnnxTensor value) => new() { Name = name, Type = OnnxAttributeType.Tensor, Tensor = value };

    internal void Write(ProtoWriter w)
    {
        w.String(1, Name);
        switch (Type)
        {
            case OnnxAttributeType.Float:
                w.Float(2, Float);
                break;
            case OnnxAttributeType.Int:
                w.Int64(3, Int);
                break;
            case OnnxAttributeType.String:
                w.String(4, String);
                break;
            case OnnxAttributeType.Tensor when Tensor is not null:
                w.Message(5, Tensor.Write);
                break;
            case OnnxAttributeType.Graph when Graph is not null:
                w.Message(6, Graph.Write);
                break;
        }
        foreach (float value in Floats)
        {
            w.Float(7, value);
        }
        foreach (long value in Ints)
        {
            w.Int64(8, value);
        }
        foreach (string value in Strings)
        {
            w.String(9, value);
        }
        foreach (var tensor in Tensors)
        {
            w.Message(10, tensor.Write);
        }
        foreach (var graph in Graphs)
        {
            w.Message(11, graph.Write);
        }
        w.Int64(20, (long)Type);
        w.OptionalString(21, RefAttrName);
    }

    internal static OnnxAttribute Read(ProtoReader r)
    {
        long start = r.Offset;
        string name = "", s = "", reference = "";
        float f = 0;
        long i = 0;
        long? type = null;
        OnnxTensor? t = null;
        OnnxGraph? g = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var strings = new List<string>();
        var tensors = new List<OnnxTensor>();
        var graphs = new List<OnnxGraph>();
        var seen = new HashSet<int>();
        while (r.Next(out int field, out var wire))
        {
            seen.Add(field);
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    name = r.String();
                    break;
                case 2:
                    r.Expect(wire, WireType.Fixed32, field, "AttributeProto");
                    f = r.Float();
                    break;
                case 3:
                    r.Expect(wire, WireType.Varint, field, "AttributeProto");
                    i = r.Int64();
                    break;
                case 4:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    s = r.String();
                    break;
                case 5:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    t = OnnxTensor.Read(r.Message());
                    break;
                case 6:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    g = OnnxGraph.Read(r.Message());
                    break;
                case 7:
                    r.Floats(wire, floats, field, "AttributeProto");
                    break;
                case 8:
                    r.Varints(wire, ints, field, "AttributeProto");
                    break;
                case 9:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    strings.Add(r.String());
                    break;
                case 10:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    tensors.Add(OnnxTensor.Read(r.Message()));
                    break;
                case 11:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    graphs.Add(OnnxGraph.Read(r.Message()));
                    break;
                case 20:
                    r.Expect(wire, WireType.Varint, field, "AttributeProto");
                    type = r.Int64();
                    break;
                case 21:
                    r.Expect(wire, WireType.Length, field, "AttributeProto");
                    reference = r.String();
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        if (type is { } declared && !Enum.IsDefined((OnnxAttributeType)declared))
        {
            throw new ProtoException(start, $"attribute '{name}' has type {declared}, which ONNX does not define");
        }
        // Files written before IR version 3 may leave the type out; it is then the one field that is present.
        var kind = type is { } known ? (OnnxAttributeType)known
            : seen.Contains(2) ? OnnxAttributeType.Float : seen.Contains(3) ? OnnxAttributeType.Int : seen.Contains(4) ? OnnxAttributeType.String
            : seen.Contains(5) ? OnnxAttributeType.Tensor : seen.Contains(6) ? OnnxAttributeType.Graph : seen.Contains(7) ? OnnxAttributeType.Floats
            : seen.Contains(8) ? OnnxAttributeType.Ints : seen.Contains(9) ? OnnxAttributeType.Strings : seen.Contains(10) ? OnnxAttributeType.Tensors
            : seen.Contains(11) ? OnnxAttributeType.Graphs : OnnxAttributeType.Undefined;
        return new OnnxAttribute
        {
            Name = name,
            Type = kind,
            Float = f,
            Int = i,
            String = s,
            Tensor = t,
            Graph = g,
            Floats = floats,
            Ints = ints,
            Strings = strings,
            Tensors = tensors,
            Graphs = graphs,
            RefAttrName = reference,
        };
    }
}

/// <summary>One dimension of a declared shape: a size, a symbolic name (such as "batch"), or unknown (both null).</summary>
public readonly record struct OnnxDim(long? Value, string? Param)
{
    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(string param) => new(null, param);

    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>A graph input, output or intermediate value's name and declared type (ValueInfoProto).</summary>
public sealed class OnnxValueInfo
{
    public required string Name { get; init; }

    /// <summary>False when the value is a sequence, map or optional rather than a tensor.</summary>
    public bool IsTensor { get; init; } = true;

    public OnnxDataType ElementType { get; init; }

    /// <summary>The declared shape; null when the rank is unknown.</summary>
    public IReadOnlyList<OnnxDim>? Shape { get; init; }

    public string DocString { get; init; } = "";

    /// <summary>"float [batch, 4]".</summary>
    public string DescribeType() =>
        !IsTensor ? "not a tensor"
        : $"{OnnxTensor.Describe(ElementType)} {(Shape is null ? "of unknown shape" : $"[{string.Join(", ", Shape)}]")}";

    internal void Write(ProtoWriter w)
    {
        w.String(1, Name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int64(1, (long)ElementType);
            if (Shape is not null)
            {
                tensor.Message(2, shape =>
                {
                    foreach (var dim in Shape)
                    {
                        shape.Message(1, d =>
                        {
                            if (dim.Value is { } value)
                            {
                                d.Int64(1, value);
                            }
                            else if (dim.Param is { } param)
                            {
                                d.String(2, param);
                            }
                        });
                    }
                });
            }
        }));
        w.OptionalString(3, DocString);
    }

    internal static OnnxValueInfo Read(ProtoReader r)
    {
        string name = "", doc = "";
        bool isTensor = true;
        var element = OnnxDataType.Undefined;
        List<OnnxDim>? shape = null;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Length, field, "ValueInfoProto");
                    name = r.String();
                    break;
                case 2:
                    r.Expect(wire, WireType.Length, field, "ValueInfoProto");
                    var type = r.Message();
                    while (type.Next(out int typeField, out var typeWire))
                    {
                        if (typeField == 1)
                        {
                            type.Expect(typeWire, WireType.Length, typeField, "TypeProto");
                            (element, shape) = ReadTensorType(type.Message());
                        }
                        else if (typeField is 4 or 5 or 8 or 9)
                        {
                            isTensor = false;
                            type.Skip(typeWire);
                        }
                        else
                        {
                            type.Skip(typeWire);
                        }
                    }
                    break;
                case 3:
                    r.Expect(wire, WireType.Length, field, "ValueInfoProto");
                    doc = r.String();
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return new OnnxValueInfo { Name = name, IsTensor = isTensor, ElementType = element, Shape = shape, DocString = doc };
    }

    private static (OnnxDataType, List<OnnxDim>?) ReadTensorType(ProtoReader r)
    {
        var element = OnnxDataType.Undefined;
        List<OnnxDim>? shape = null;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Expect(wire, WireType.Varint, field, "TypeProto.Tensor");
                    element = (OnnxDataType)r.Int32();
                    break;
                case 2:
                    r.Expect(wire, WireType.Length, field, "TypeProto.Tensor");
                    shape = [];
                    var dims = r.Message();
                    while (dims.Next(out int dimField, out var dimWire))
                    {
                        if (dimField != 1)
                        {
                            dims.Skip(dimWire);
                            continue;
                        }
                        dims.Expect(dimWire, WireType.Length, dimField, "TensorShapeProto");
                        var dim = dims.Message();
                        OnnxDim value = default;
                        while (dim.Next(out int f, out var w))
                        {
                            if (f == 1)
                            {
                                dim.Expect(w, WireType.Varint, f, "TensorShapeProto.Dimension");
                                value = new OnnxDim(dim.Int64(), null);
                            }
                            else if (f == 2)
                            {
                                dim.Expect(w, WireType.Length, f, "TensorShapeProto.Dimension");
                                value = new OnnxDim(null, dim.String());
                            }
                            else
                            {
                                dim.Skip(w);
                            }
                        }
                        shape.Add(value);
                    }
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        return (element, shape);
    }
}

/// <summary>
/// A tensor (TensorProto): name, dims, element type and values. Float32 values are in <see cref="FloatData"/>;
/// the integer types and bool in <see cref="IntData"/> (uint64 bit patterns as they are); float64 in
/// <see cref="DoubleData"/>. Other element types (strings, float16, complex) are read for their name and
/// shape only, and their data is null.
/// </summary>
public sealed class OnnxTensor
{
    public string Name { get; init; } = "";

    public IReadOnlyList<long> Dims { get; init; } = [];

    public OnnxDataType DataType { get; init; }

    public float[]? FloatData { get; init; }

    public long[]? IntData { get; init; }

    public double[]? DoubleData { get; init; }

    /// <summary>Whether the data lies in an external file (data_location EXTERNAL), which Neurite does not read.</summary>
    public bool IsExternal { get; init; }

    /// <summary>The number of elements: the product of <see cref="Dims"/> (1 for a scalar).</summary>
    public long Count => Dims.Aggregate(1L, (count, size) => count * size);

    /// <summary>A float32 tensor.</summary>
    public static OnnxTensor Of(string name, IReadOnlyList<long> dims, float[] values) =>
        new() { Name = name, Dims = dims, DataType = OnnxDataType.Float, FloatData = values };

    /// <summary>An int64 tensor.</summary>
    public static OnnxTensor Of(string name, IReadOnlyList<long> dims, long[] values) =>
        new() { Name = name, Dims = dims, DataType = OnnxDataType.Int64, IntData = values };

    /// <summary>Reads a serialized TensorProto (the test data's <c>input_0.pb</c>); errors start with <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed tensor.</exception>
    public static OnnxTensor Parse(ReadOnlyMemory<byte> bytes, string source)
    {
        try
        {
            return Read(new ProtoReader(bytes));
        }
        catch (ProtoException e)
        {
            throw new InvalidDataException(OneLine.Escape($"{source}: not a valid ONNX tensor: {e.Message}."));
        }
    }

    /// <summary>The tensor in protobuf's wire format, its data as raw little-endian bytes.</summary>
    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        Write(w);
        return w.ToArray();
    }

    /// <summary>"float", "int64", … as onnx.helper names element types.</summary>
    public static string Describe(OnnxDataType type) => type switch
    {
        OnnxDataType.Float16 => "float16",
        OnnxDataType.BFloat16 => "bfloat16",
        OnnxDataType.Undefined => "undefined",
        _ when Enum.IsDefined(type) => type.ToString().ToLowerInvariant(),
        _ => $"type {(int)type}",
    };

    /// <summary>Bytes per element in raw_data, or 0 for a type Neurite does not decode.</summary>
    private static int ElementSize(OnnxDataType type) => type switch
    {
        OnnxDataType.Bool or OnnxDataType.Int8 or OnnxDataType.UInt8 => 1,
        OnnxDataType.Int16 or OnnxDataType.UInt16 => 2,
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.Int64 or OnnxDataType.UInt64 or OnnxDataType.Double => 8,
        _ => 0,
    };

    internal void Write(ProtoWriter w)
    {
        w.PackedInt64s(1, Dims);
        w.Int64(2, (long)DataType);
        w.OptionalString(8, Name);
        int size = ElementSize(DataType);
        if (FloatData is { } floats)
        {
            var raw = new byte[floats.Length * 4];
            for (int i = 0; i < floats.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), floats[i]);
            }
            w.Bytes(9, raw);
        }
        else if (IntData is { } ints && size > 0)
        {
            var raw = new byte[ints.Length * size];
            for (int i = 0; i < ints.Length; i++)
            {
                var at = raw.AsSpan(i * size);
                switch (size)
                {
                    case 1:
                        at[0] = (byte)ints[i];
                        break;
                    case 2:
                        BinaryPrimitives.WriteInt16LittleEndian(at, (short)ints[i]);
                        break;
                    case 4:
                        BinaryPrimitives.WriteInt32LittleEndian(at, (int)ints[i]);
                        break;
                    default:
                        BinaryPrimitives.WriteInt64LittleEndian(at, ints[i]);
                        break;
                }
            }
            w.Bytes(9, raw);
        }
        else if (DoubleData is { } doubles)
        {
            var raw = new byte[doubles.Length * 8];
            for (int i = 0; i < doubles.Length; i++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(raw.AsSpan(i * 8), doubles[i]);
            }
            w.Bytes(9, raw);
        }
    }

    internal static OnnxTensor Read(ProtoReader r)
    {
        long start = r.Offset;
        var dims = new List<long>();
        int type = 0;
        string name = "";
        ReadOnlyMemory<byte>? raw = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var doubles = new List<double>();
        bool external = false;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.Varints(wire, dims, field, "TensorProto");
                    break;
                case 2:
                    r.Expect(wire, WireType.Varint, field, "TensorProto");
                    type = r.Int32();
                    break;
                case 3:
                    r.Skip(wire);
                    throw new ProtoException(start, $"tensor '{name}' is a segment of a larger tensor, which Neurite does not read");
                case 4:
                    r.Floats(wire, floats, field, "TensorProto");
                    break;
                case 5 or 7 or 11:
                    r.Varints(wire, ints, field, "TensorProto");
                    break;
                case 8:
                    r.Expect(wire, WireType.Length, field, "TensorProto");
                    name = r.String();
                    break;
                case 9:
                    r.Expect(wire, WireType.Length, field, "TensorProto");
                    raw = r.Bytes();
                    break;
                case 10:
                    r.Doubles(wire, doubles, field, "TensorProto");
                    break;
                case 14:
                    r.Expect(wire, WireType.Varint, field, "TensorProto");
                    external = r.Int64() == 1;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        long count = 1;
        foreach (long size in dims)
        {
            if (size < 0)
            {
                throw new ProtoException(start, $"tensor '{name}' has a negative dimension in [{string.Join(", ", dims)}]");
            }
            count = size != 0 && count > long.MaxValue / size ? long.MaxValue : count * size;
        }
        var dataType = (OnnxDataType)type;
        int elementSize = ElementSize(dataType);
        if (external || elementSize == 0)
        {
            return new OnnxTensor { Name = name, Dims = dims, DataType = dataType, IsExternal = external };
        }
        int given = raw is { } r0 ? r0.Length / elementSize : dataType == OnnxDataType.Float ? floats.Count : dataType == OnnxDataType.Double ? doubles.Count : ints.Count;
        if ((raw is { } r1 && r1.Length % elementSize != 0) || given != count)
        {
            string holds = raw is { } r2 ? $"{r2.Length} bytes of raw_data" : $"{given} values";
            throw new ProtoException(start, $"tensor '{name}' ({Describe(dataType)} [{string.Join(", ", dims)}]) holds {holds}, but its shape needs {count} elements");
        }
        var span = raw is { } bytes ? bytes.Span : default;
        return dataType switch
        {
            OnnxDataType.Float => new OnnxTensor
            {
                Name = name,
                Dims = dims,
                DataType = dataType,
                FloatData = raw is null ? [.. floats] : Decode(span, 4, (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(i * 4)..])),
            },
            OnnxDataType.Double => new OnnxTensor
            {
                Name = name,
                Dims = dims,
                DataType = dataType,
                DoubleData = raw is null ? [.. doubles] : Decode(span, 8, (s, i) => BinaryPrimitives.ReadDoubleLittleEndian(s[(i * 8)..])),
            },
            _ => new OnnxTensor
            {
                Name = name,
                Dims = dims,
                DataType = dataType,
                IntData = raw is null ? [.. ints.Select(value => Narrow(dataType, value))] : Decode(span, elementSize, (s, i) => Integer(dataType, s, i)),
            },
        };
    }

    private delegate T Element<T>(ReadOnlySpan<byte> bytes, int index);

    private static T[] Decode<T>(ReadOnlySpan<byte> bytes, int size, Element<T> read)
    {
        var values = new T[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = read(bytes, i);
        }
        return values;
    }

    private static long Integer(OnnxDataType type, ReadOnlySpan<byte> s, int i) => type switch
    {
        OnnxDataType.Bool => s[i] != 0 ? 1 : 0,
        OnnxDataType.UInt8 => s[i],
        OnnxDataType.Int8 => (sbyte)s[i],
        OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s[(i * 2)..]),
        OnnxDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s[(i * 2)..]),
        OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s[(i * 4)..]),
        OnnxDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s[(i * 4)..]),
        _ => BinaryPrimitives.ReadInt64LittleEndian(s[(i * 8)..]),
    };

    /// <summary>A value of int32_data, which holds the narrower integer types and bool too, cut to its type.</summary>
    private static long Narrow(OnnxDataType type, long value) => type switch
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
}
