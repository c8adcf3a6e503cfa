using System.Globalization;
using System.Text.Json;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// An imported ONNX graph as the fields of an <c>onnx</c> layer in a spec: opset, inputs, outputs, weights (the
/// float initializers' names and shapes; their values live in the model file's tensors), constants (the other
/// initializers, with their values) and nodes. See <see cref="OnnxSpec"/>.
/// </summary>
/// <remarks>
/// An attribute is a JSON integer (INT), a number written with a point or an exponent (FLOAT), a string (STRING),
/// a list of those (INTS, FLOATS, STRINGS), or an object of one field for the rest: <c>{"tensor": {...}}</c>,
/// <c>{"float": "NaN"}</c>, <c>{"ints": []}</c>.
/// </remarks>
internal static class OnnxJson
{
    public static readonly string[] Fields = ["opset", "inputs", "outputs", "weights", "constants", "nodes"];

    private static readonly string[] NodeFields = ["op", "name", "inputs", "outputs", "attributes"];

    /// <summary>The element types a value may have, by the names ONNX's helper gives them.</summary>
    private static readonly Dictionary<string, OnnxDataType> Types = Enum.GetValues<OnnxDataType>()
        .Where(OnnxValue.Holds).ToDictionary(OnnxTensor.Describe, type => type, StringComparer.Ordinal);

    public static void Write(Utf8JsonWriter json, OnnxModel model)
    {
        var graph = model.Graph;
        var initialized = graph.Initializers.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        json.WriteNumber("opset", model.OpsetVersion());
        WriteValues(json, "inputs", [.. graph.Inputs.Where(input => !initialized.Contains(input.Name))]);
        WriteValues(json, "outputs", graph.Outputs);
        json.WriteStartArray("weights");
        foreach (var tensor in graph.Initializers.Where(tensor => tensor.DataType == OnnxDataType.Float))
        {
            json.WriteStartObject();
            json.WriteString("name", tensor.Name);
            WriteDims(json, tensor.Dims);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("constants");
        foreach (var tensor in graph.Initializers.Where(tensor => tensor.DataType != OnnxDataType.Float))
        {
            WriteTensor(json, tensor, named: true);
        }
        json.WriteEndArray();
        json.WriteStartArray("nodes");
        foreach (var node in graph.Nodes)
        {
            json.WriteStartObject();
            json.WriteString("op", node.OpType);
            if (node.Name.Length > 0)
            {
                json.WriteString("name", node.Name);
            }
            WriteStrings(json, "inputs", node.Inputs);
            WriteStrings(json, "outputs", node.Outputs);
            if (node.Attributes.Count > 0)
            {
                json.WriteStartObject("attributes");
                foreach (var attribute in node.Attributes)
                {
                    json.WritePropertyName(attribute.Name);
                    WriteAttribute(json, attribute);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Reads the fields back into a model (float initializers without data); errors name their JSON path.</summary>
    public static OnnxModel Read(LayerFields f)
    {
        var reader = f.Reader;
        int opset = f.RequiredInt("opset");
        var inputs = ReadValues(reader, f.Inner.Required("inputs", "the graph's data inputs"), f.PathOf("inputs"));
        var outputs = ReadValues(reader, f.Inner.Required("outputs", "the graph's outputs"), f.PathOf("outputs"));
        var initializers = new List<OnnxTensor>();
        foreach (var (item, path) in Items(reader, f.Inner.Optional("weights"), f.PathOf("weights"), "a list of weights"))
        {
            var weight = reader.Object(item, path, "a weight", ["name", "shape"]);
            var dims = ReadDims(reader, weight.Required("shape", "the weight's shape"), weight.PathOf("shape"));
            initializers.Add(new OnnxTensor { Name = Name(reader, weight), Dims = dims, DataType = OnnxDataType.Float });
        }
        foreach (var (item, path) in Items(reader, f.Inner.Optional("constants"), f.PathOf("constants"), "a list of constants"))
        {
            initializers.Add(ReadTensor(reader, item, path, named: true));
        }
        var nodes = new List<OnnxNode>();
        foreach (var (item, path) in Items(reader, f.Inner.Required("nodes", "the graph's nodes"), f.PathOf("nodes"), "a list of nodes"))
        {
            var node = reader.Object(item, path, "a node", NodeFields);
            var attributes = new List<OnnxAttribute>();
            if (node.Optional("attributes") is { } given)
            {
                var fields = reader.Object(given, node.PathOf("attributes"), "attributes", [.. given.ValueKind == JsonValueKind.Object ? given.EnumerateObject().Select(p => p.Name) : []]);
                attributes.AddRange(given.EnumerateObject().Select(p => ReadAttribute(reader, p.Name, p.Value, fields.PathOf(p.Name))));
            }
            nodes.Add(new OnnxNode
            {
                OpType = reader.String(node.Required("op", "the operator, e.g. \"Gemm\""), node.PathOf("op"), "an operator name"),
                Name = node.OptionalString("name", "the node's name") ?? "",
                Inputs = Strings(reader, node.Optional("inputs"), node.PathOf("inputs")),
                Outputs = Strings(reader, node.Required("outputs", "the node's outputs"), node.PathOf("outputs")),
                Attributes = attributes,
            });
        }
        return new OnnxModel
        {
            IrVersion = OnnxExporter.IrVersion,
            Opsets = [new OnnxOpset("", opset)],
            Graph = new OnnxGraph { Nodes = nodes, Initializers = initializers, Inputs = inputs, Outputs = outputs },
        };
    }

    private static IEnumerable<(JsonElement Item, string Path)> Items(SpecReader reader, JsonElement? element, string path, string what)
    {
        if (element is not { } list)
        {
            yield break;
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw reader.Error(path, $"expected {what}, got {SpecReader.Show(list)}");
        }
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            yield return (item, $"{path}[{index++}]");
        }
    }

    private static string Name(SpecReader reader, SpecReader.Fields fields) =>
        reader.String(fields.Required("name", "a name"), fields.PathOf("name"), "a name");

    private static List<string> Strings(SpecReader reader, JsonElement? element, string path) =>
        [.. Items(reader, element, path, "a list of value names").Select(entry =>
            entry.Item.ValueKind == JsonValueKind.String ? entry.Item.GetString()! : throw reader.Error(entry.Path, $"expected a value name, got {SpecReader.Show(entry.Item)}"))];

    private static void WriteStrings(Utf8JsonWriter json, string property, IReadOnlyList<string> values)
    {
        json.WriteStartArray(property);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }
        json.WriteEndArray();
    }

    private static void WriteValues(Utf8JsonWriter json, string property, IReadOnlyList<OnnxValueInfo> values)
    {
        json.WriteStartArray(property);
        foreach (var value in values)
        {
            json.WriteStartObject();
            json.WriteString("name", value.Name);
            json.WriteString("dtype", OnnxTensor.Describe(value.ElementType));
            if (value.Shape is { } shape)
            {
                json.WriteStartArray("shape");
                foreach (var dim in shape)
                {
                    if (dim.Value is { } size)
                    {
                        json.WriteNumberValue(size);
                    }
                    else if (dim.Param is { } param)
                    {
                        json.WriteStringValue(param);
                    }
                    else
                    {
                        json.WriteNullValue();
                    }
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static List<OnnxValueInfo> ReadValues(SpecReader reader, JsonElement element, string path)
    {
        var values = new List<OnnxValueInfo>();
        foreach (var (item, itemPath) in Items(reader, element, path, "a list of values ({\"name\", \"dtype\", \"shape\"})"))
        {
            var fields = reader.Object(item, itemPath, "a value", ["name", "dtype", "shape"]);
            List<OnnxDim>? shape = null;
            if (fields.Optional("shape") is { } dims)
            {
                shape = [.. Items(reader, dims, fields.PathOf("shape"), "a shape (sizes, names or null)").Select(dim => dim.Item.ValueKind switch
                {
                    JsonValueKind.Number when dim.Item.TryGetInt64(out long size) && size >= 0 => new OnnxDim(size, null),
                    JsonValueKind.String => new OnnxDim(null, dim.Item.GetString()),
                    JsonValueKind.Null => default,
                    _ => throw reader.Error(dim.Path, $"expected a size, a name or null, got {SpecReader.Show(dim.Item)}"),
                })];
            }
            values.Add(new OnnxValueInfo
            {
                Name = Name(reader, fields),
                ElementType = Types[fields.Choice("dtype", "float", "element type", Types.Keys)],
                Shape = shape,
            });
        }
        if (values.Count == 0)
        {
            throw reader.Error(path, "expected at least one value");
        }
        return values;
    }

    private static void WriteDims(Utf8JsonWriter json, IReadOnlyList<long> dims)
    {
        json.WriteStartArray("shape");
        foreach (long size in dims)
        {
            json.WriteNumberValue(size);
        }
        json.WriteEndArray();
    }

    private static long[] ReadDims(SpecReader reader, JsonElement element, string path)
    {
        var dims = Items(reader, element, path, "a shape, a list of sizes").Select(dim =>
            dim.Item.ValueKind == JsonValueKind.Number && dim.Item.TryGetInt32(out int size) && size >= 0
                ? (long)size
                : throw reader.Error(dim.Path, $"expected a size (a non-negative integer), got {SpecReader.Show(dim.Item)}")).ToArray();
        if (Shapes.CountOf([.. dims.Select(size => (int)size)], "ONNX") > Array.MaxLength)
        {
            throw reader.Error(path, $"a tensor of shape [{string.Join(", ", dims)}] has more elements than a tensor can hold");
        }
        return dims;
    }

    private static void WriteTensor(Utf8JsonWriter json, OnnxTensor tensor, bool named)
    {
        json.WriteStartObject();
        if (named)
        {
            json.WriteString("name", tensor.Name);
        }
        json.WriteString("dtype", OnnxTensor.Describe(tensor.DataType));
        WriteDims(json, tensor.Dims);
        json.WriteStartArray("data");
        if (tensor.FloatData is { } floats)
        {
            foreach (float value in floats)
            {
                WriteFloat(json, value);
            }
        }
        foreach (long value in tensor.IntData ?? [])
        {
            json.WriteNumberValue(value);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static OnnxTensor ReadTensor(SpecReader reader, JsonElement element, string path, bool named)
    {
        var fields = reader.Object(element, path, "a tensor", named ? ["name", "dtype", "shape", "data"] : ["dtype", "shape", "data"]);
        var type = Types[fields.Choice("dtype", "float", "element type", Types.Keys)];
        var dims = ReadDims(reader, fields.Required("shape", "the tensor's shape"), fields.PathOf("shape"));
        var data = Items(reader, fields.Required("data", "the tensor's values"), fields.PathOf("data"), "a list of values").ToList();
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (data.Count != count)
        {
            throw reader.Error(fields.PathOf("data"), $"{data.Count} values for a tensor of shape [{string.Join(", ", dims)}] ({count} elements)");
        }
        string name = named ? Name(reader, fields) : "";
        return type == OnnxDataType.Float
            ? OnnxTensor.Of(name, dims, [.. data.Select(item => ReadFloat(reader, item.Item, item.Path))])
            : new OnnxTensor
            {
                Name = name,
                Dims = dims,
                DataType = type,
                IntData = [.. data.Select(item => item.Item.ValueKind == JsonValueKind.Number && item.Item.TryGetInt64(out long value)
                    && value == OnnxOperators.Wrap(type, value) && (type != OnnxDataType.UInt64 || value >= 0)
                        ? value
                        : throw reader.Error(item.Path, $"expected a {OnnxTensor.Describe(type)} value, got {SpecReader.Show(item.Item)}"))],
            };
    }

    /// <summary>A float as the shortest text that reads back to it, always with a point or an exponent; NaN and infinities as strings.</summary>
    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (!float.IsFinite(value))
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
            return;
        }
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        json.WriteRawValue(text.Contains('.') || text.Contains('E') ? text : text + ".0");
    }

    private static float ReadFloat(SpecReader reader, JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetDouble(out double value) && Math.Abs(value) <= float.MaxValue => (float)value,
        JsonValueKind.String when element.GetString() is "NaN" or "Infinity" or "-Infinity" => float.Parse(element.GetString()!, CultureInfo.InvariantCulture),
        _ => throw reader.Error(path, $"expected a float32 value (a number, \"NaN\", \"Infinity\" or \"-Infinity\"), got {SpecReader.Show(element)}"),
    };

    private static bool IsFloatText(JsonElement element) => element.GetRawText().AsSpan().IndexOfAny(".eE") >= 0;

    private static void WriteAttribute(Utf8JsonWriter json, OnnxAttribute attribute)
    {
        switch (attribute.Type)
        {
            case OnnxAttributeType.Int:
                json.WriteNumberValue(attribute.Int);
                break;
            case OnnxAttributeType.Float when float.IsFinite(attribute.Float):
                WriteFloat(json, attribute.Float);
                break;
            case OnnxAttributeType.String:
                json.WriteStringValue(attribute.String);
                break;
            case OnnxAttributeType.Ints when attribute.Ints.Count > 0:
                json.WriteStartArray();
                foreach (long value in attribute.Ints)
                {
                    json.WriteNumberValue(value);
                }
                json.WriteEndArray();
                break;
            case OnnxAttributeType.Floats when attribute.Floats.Count > 0 && attribute.Floats.All(float.IsFinite):
                json.WriteStartArray();
                foreach (float value in attribute.Floats)
                {
                    WriteFloat(json, value);
                }
                json.WriteEndArray();
                break;
            case OnnxAttributeType.Strings when attribute.Strings.Count > 0:
                json.WriteStartArray();
                foreach (string value in attribute.Strings)
                {
                    json.WriteStringValue(value);
                }
                json.WriteEndArray();
                break;
            default:
                json.WriteStartObject();
                switch (attribute.Type)
                {
                    case OnnxAttributeType.Float:
                        json.WritePropertyName("float");
                        WriteFloat(json, attribute.Float);
                        break;
                    case OnnxAttributeType.Ints:
                        json.WriteStartArray("ints");
                        json.WriteEndArray();
                        break;
                    case OnnxAttributeType.Floats:
                        json.WriteStartArray("floats");
                        foreach (float value in attribute.Floats)
                        {
                            WriteFloat(json, value);
                        }
                        json.WriteEndArray();
                        break;
                    case OnnxAttributeType.Strings:
                        json.WriteStartArray("strings");
                        json.WriteEndArray();
                        break;
                    case OnnxAttributeType.Tensor when attribute.Tensor is { } tensor:
                        json.WritePropertyName("tensor");
                        WriteTensor(json, tensor, named: false);
                        break;
                    default:
                        throw new NotSupportedException($"ONNX attribute '{attribute.Name}': a {attribute.Type} attribute has no form in a spec.");
                }
                json.WriteEndObject();
                break;
        }
    }

    private static OnnxAttribute ReadAttribute(SpecReader reader, string name, JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number when IsFloatText(element):
                return OnnxAttribute.Of(name, ReadFloat(reader, element, path));
            case JsonValueKind.Number:
                return element.TryGetInt64(out long value) ? OnnxAttribute.Of(name, value) : throw reader.Error(path, $"expected an int64, got {SpecReader.Show(element)}");
            case JsonValueKind.String:
                return OnnxAttribute.Of(name, element.GetString()!);
            case JsonValueKind.Array when element.GetArrayLength() > 0:
                var items = Items(reader, element, path, "a list").ToList();
                if (items.All(item => item.Item.ValueKind == JsonValueKind.String))
                {
                    return new OnnxAttribute { Name = name, Type = OnnxAttributeType.Strings, Strings = [.. items.Select(item => item.Item.GetString()!)] };
                }
                if (items.Any(item => item.Item.ValueKind == JsonValueKind.Number && IsFloatText(item.Item)))
                {
                    return OnnxAttribute.Of(name, (IReadOnlyList<float>)[.. items.Select(item => ReadFloat(reader, item.Item, item.Path))]);
                }
                return OnnxAttribute.Of(name, (IReadOnlyList<long>)[.. items.Select(item => item.Item.ValueKind == JsonValueKind.Number && item.Item.TryGetInt64(out long v)
                    ? v : throw reader.Error(item.Path, $"expected an int64, got {SpecReader.Show(item.Item)}"))]);
            case JsonValueKind.Object:
                var typed = reader.Object(element, path, "a typed attribute", ["float", "floats", "ints", "strings", "tensor"]);
                if (element.EnumerateObject().Count() != 1)
                {
                    throw reader.Error(path, "expected one of float, floats, ints, strings or tensor");
                }
                var (kind, content) = element.EnumerateObject().Select(p => (p.Name, p.Value)).Single();
                string contentPath = typed.PathOf(kind);
                return kind switch
                {
                    "float" => OnnxAttribute.Of(name, ReadFloat(reader, content, contentPath)),
                    "floats" => OnnxAttribute.Of(name, (IReadOnlyList<float>)[.. Items(reader, content, contentPath, "a list of floats").Select(item => ReadFloat(reader, item.Item, item.Path))]),
                    "ints" => Items(reader, content, contentPath, "a list of ints").Any()
                        ? ReadAttribute(reader, name, content, contentPath)
                        : OnnxAttribute.Of(name, (IReadOnlyList<long>)[]),
                    "strings" => Items(reader, content, contentPath, "a list of strings").Any()
                        ? ReadAttribute(reader, name, content, contentPath)
                        : new OnnxAttribute { Name = name, Type = OnnxAttributeType.Strings },
                    _ => OnnxAttribute.Of(name, ReadTensor(reader, content, contentPath, named: false)),
                };
            default:
                throw reader.Error(path, $"expected an attribute value (a number, a string, a list, or an object such as {{\"tensor\": …}}), got {SpecReader.Show(element)}");
        }
    }
}
