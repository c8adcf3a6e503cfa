using Neurite.NN;

namespace Neurite.Serialization;

/// <summary>
/// The ONNX graph being written from a model: each layer adds its nodes and weights through it (see
/// <see cref="LayerSpec.ToOnnx"/>). It names values after the layer that makes them (<c>/0/Gemm</c>,
/// <c>/3/block/0/Relu_1</c>) and weights as the model's state dict does (<c>0.weight</c>), so that an
/// exported file reads like the PyTorch export of the same network.
/// </summary>
public sealed class OnnxExporter
{
    /// <summary>The default-domain operator set an exported graph uses.</summary>
    public const int Opset = 17;

    /// <summary>The IR version of an exported file (the one that goes with opset 17).</summary>
    public const long IrVersion = 8;

    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxDataType> _integerInputs = new(StringComparer.Ordinal);
    private Module _module;
    private string _prefix = "";
    private string _path = "";

    internal OnnxExporter(Module root, IEnumerable<(string Name, OnnxDataType Type)> inputs)
    {
        _module = root;
        foreach (var (name, type) in inputs)
        {
            _names.Add(name);
            if (type != OnnxDataType.Float)
            {
                _integerInputs[name] = type;
            }
        }
    }

    internal IReadOnlyList<OnnxNode> Nodes => _nodes;

    internal IReadOnlyList<OnnxTensor> Initializers => _initializers;

    /// <summary>
    /// Writes <paramref name="layer"/>, whose module is the current module's child at <paramref name="child"/>
    /// (a dotted path such as "block.0"), on the values <paramref name="inputs"/>; returns its output value. How a
    /// block of layers (residual's) writes its inner layers.
    /// </summary>
    /// <exception cref="ArgumentException">The module has no such child (it was not built from this spec).</exception>
    public string Layer(LayerSpec layer, LayerContext context, string child, IReadOnlyList<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(context);
        var module = _module;
        foreach (string part in child.Split('.'))
        {
            module = module.NamedChildren().FirstOrDefault(c => c.Key == part).Value
                ?? throw new ArgumentException($"ONNX export: {context.Path}: the module has no child '{_prefix}{child}'; export a module built from this spec.");
        }
        var (outerModule, outerPrefix, outerPath) = (_module, _prefix, _path);
        (_module, _prefix, _path) = (module, $"{_prefix}{child}.", context.Path);
        try
        {
            return layer.ToOnnx(this, context, inputs);
        }
        finally
        {
            (_module, _prefix, _path) = (outerModule, outerPrefix, outerPath);
        }
    }

    /// <summary>The element type of <paramref name="value"/>: an integer graph input's (ids for an embedding), otherwise float32, which every layer gives.</summary>
    public OnnxDataType TypeOf(string value) => _integerInputs.GetValueOrDefault(value, OnnxDataType.Float);

    /// <summary>Adds a node of the default domain with one output; returns the output's name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) => Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node of the default domain with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] Node(string opType, IReadOnlyList<string> inputs, int outputs, params OnnxAttribute[] attributes)
    {
        string name = Fresh(opType);
        string[] names = [name, .. Enumerable.Range(1, outputs - 1).Select(i => Fresh($"{opType}_output{i}"))];
        _nodes.Add(new OnnxNode { Name = name, OpType = opType, Inputs = [.. inputs], Outputs = names, Attributes = attributes });
        return names;
    }

    /// <summary>
    /// The current layer's parameter or buffer <paramref name="name"/> (as its module's state dict names it, e.g.
    /// "weight") as an initializer named as in the model's state dict ("0.weight"); returns that name.
    /// </summary>
    /// <exception cref="ArgumentException">The module has no such parameter or buffer.</exception>
    public string Weight(string name)
    {
        string full = _prefix + name;
        if (_initializers.Any(tensor => tensor.Name == full))
        {
            return full;
        }
        var tensor = _module.StateDict().TryGetValue(name, out var value)
            ? value
            : throw new ArgumentException($"ONNX export: {_path}: the module has no parameter or buffer '{full}'.");
        _names.Add(full);
        _initializers.Add(OnnxTensor.Of(full, [.. tensor.Shape.ToArray().Select(size => (long)size)], tensor.ToArray()));
        return full;
    }

    /// <summary>A float32 constant (an initializer), a scalar unless <paramref name="dims"/> are given.</summary>
    public string Constant(float[] values, IReadOnlyList<long>? dims = null) => AddConstant(OnnxTensor.Of(Fresh("Constant"), dims ?? [], values));

    /// <summary>A float32 scalar constant.</summary>
    public string Constant(float value) => Constant([value]);

    /// <summary>An int64 constant (shapes, axes), a vector unless <paramref name="dims"/> are given.</summary>
    public string Constant(long[] values, IReadOnlyList<long>? dims = null) => AddConstant(OnnxTensor.Of(Fresh("Constant"), dims ?? [values.Length], values));

    /// <summary>A constant of any element type: a copy of <paramref name="tensor"/> under a fresh name.</summary>
    public string Constant(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return AddConstant(new OnnxTensor
        {
            Name = Fresh("Constant"),
            Dims = tensor.Dims,
            DataType = tensor.DataType,
            FloatData = tensor.FloatData,
            IntData = tensor.IntData,
            DoubleData = tensor.DoubleData,
        });
    }

    /// <summary>The refusal of a layer that has no exact ONNX form, naming its path, its type and, when given, why.</summary>
    public NotSupportedException NoForm(LayerSpec layer, string? why = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new NotSupportedException($"ONNX export: {_path} ({layer.Type}): {why ?? $"the layer type {layer.Type} has no ONNX form"}.");
    }

    /// <summary>Names <paramref name="value"/> <paramref name="name"/>: renames the node output it is, or adds an Identity.</summary>
    internal void NameOutput(string value, string name)
    {
        int producer = _nodes.FindIndex(node => node.Outputs.Contains(value));
        if (producer < 0 || _names.Contains(name))
        {
            _nodes.Add(new OnnxNode { Name = Fresh("Identity"), OpType = "Identity", Inputs = [value], Outputs = [name] });
            return;
        }
        for (int i = 0; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            if (node.Inputs.Contains(value) || node.Outputs.Contains(value))
            {
                _nodes[i] = new OnnxNode
                {
                    Name = node.Name,
                    OpType = node.OpType,
                    Attributes = node.Attributes,
                    Inputs = [.. node.Inputs.Select(input => input == value ? name : input)],
                    Outputs = [.. node.Outputs.Select(output => output == value ? name : output)],
                };
            }
        }
    }

    private string AddConstant(OnnxTensor tensor)
    {
        _initializers.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A name no value has yet: /0/block/1/Relu, then /0/block/1/Relu_1, …</summary>
    private string Fresh(string what)
    {
        string stem = "/" + _prefix.Replace('.', '/') + what;
        string name = stem;
        for (int k = 1; !_names.Add(name); k++)
        {
            name = $"{stem}_{k}";
        }
        return name;
    }
}
