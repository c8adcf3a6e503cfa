using Neurite.IO;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// An imported ONNX graph as a trainable module: it runs the graph's nodes in order with Neurite's differentiable
/// ops, its float32 initializers are parameters (or buffers, those that no operator differentiates through, such
/// as batch norm's running statistics), and its integer initializers are constants.
/// </summary>
/// <remarks>
/// <para>The state dict names the initializers as the graph does, so a graph exported from PyTorch keeps
/// PyTorch's names (<c>fc1.weight</c>): a dotted name becomes nested modules. A name that cannot (an empty part, a
/// clash) has its dots replaced by underscores.</para>
/// <para>In training mode Dropout nodes drop, and BatchNormalization nodes use the batch's statistics and update
/// their running ones as torch.nn.BatchNorm does. The graph's data inputs (those without an initializer) are the
/// module's inputs, in order; its first output is the module's output (an integer output as floats).</para>
/// <para>Opsets 1 to 17 of the default domain are read; operators whose meaning changed (Softmax before 13, axes
/// as attributes before 13, Slice before 10, Clip before 11, legacy broadcasting before 7) follow the version the
/// graph imports.</para>
/// </remarks>
public sealed class OnnxGraphModule : Module
{
    /// <summary>The newest default-domain opset read.</summary>
    public const int MaxOpset = 17;

    private readonly string _source;
    private readonly long _opset;
    private readonly (OnnxNode Node, OnnxOperator Op)[] _program;
    private readonly Dictionary<string, OnnxValue> _initializers = new(StringComparer.Ordinal);
    private readonly OnnxValueInfo[] _inputs;
    private readonly Generator _rng;

    /// <summary>
    /// The module of <paramref name="model"/>'s graph, checked before anything runs: the operators (default domain,
    /// supported, known attributes), the initializers' element types, that every node takes values defined before it.
    /// Float initializers without data (a graph read from a spec) start at zero until weights are loaded.
    /// </summary>
    /// <param name="model">The ONNX model.</param>
    /// <param name="source">How errors name the graph (its file, or the spec path of its layer).</param>
    /// <param name="rng">The generator of dropout's masks.</param>
    /// <exception cref="InvalidDataException">The graph uses what Neurite does not run; the message names the node or value.</exception>
    internal OnnxGraphModule(OnnxModel model, string source, Generator rng)
    {
        _source = source;
        _rng = RegisterGenerator(rng);
        var plan = Plan(model, detail => new InvalidDataException(OneLine.Escape($"{source}: {detail}.")));
        (_opset, _program, _inputs) = (plan.Opset, plan.Program, plan.Inputs);
        foreach (var (name, value) in plan.Constants)
        {
            _initializers[name] = value;
        }
        var names = StateNames(plan.Weights.Select(tensor => tensor.Name));
        foreach (var (tensor, shape) in plan.Weights.Zip(plan.WeightShapes))
        {
            var value = tensor.FloatData is { } data ? Tensor.From(data, shape) : Tensor.Zeros(shape);
            _initializers[tensor.Name] = OnnxValue.Of(AddInitializer(names[tensor.Name], value, plan.Differentiated.Contains(tensor.Name)));
        }
        InputNames = [.. _inputs.Select(input => input.Name)];
        OutputNames = [.. model.Graph.Outputs.Select(output => output.Name)];
    }

    /// <summary>
    /// A graph checked and ready to run: its opset, nodes with their operators, data inputs, constants (the other
    /// initializers), the float initializers and their shapes, and the values some operator differentiates through
    /// (a float initializer among them is a parameter, the others buffers).
    /// </summary>
    internal sealed record GraphPlan(long Opset, (OnnxNode Node, OnnxOperator Op)[] Program, OnnxValueInfo[] Inputs,
        Dictionary<string, OnnxValue> Constants, List<OnnxTensor> Weights, List<int[]> WeightShapes, HashSet<string> Differentiated);

    /// <summary>
    /// Checks a graph before anything runs or is allocated: the opset, the operators (default domain, supported,
    /// known attributes), the initializers' and inputs' element types and sizes, that every node takes values
    /// defined before it, and that the outputs are computed. Failures go through <paramref name="error"/>.
    /// </summary>
    internal static GraphPlan Plan(OnnxModel model, Func<string, Exception> error)
    {
        var graph = model.Graph;
        long opset = model.OpsetVersion();
        if (opset == 0 && model.Opsets.Count == 0 && model.IrVersion < 3)
        {
            opset = 1; // before IR version 3 models named no operator set
        }
        if (opset is < 1 or > MaxOpset)
        {
            throw error(opset == 0
                ? "the model imports no version of ONNX's default operator set"
                : $"the model imports opset {opset} of ONNX's operators; Neurite reads opsets 1 to {MaxOpset}");
        }
        if (graph.SparseInitializerCount > 0)
        {
            throw error("the graph has sparse initializers, which Neurite does not read");
        }
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var constants = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        var weights = new List<OnnxTensor>();
        var shapes = new List<int[]>();
        foreach (var tensor in graph.Initializers)
        {
            if (!defined.Add(tensor.Name))
            {
                throw error($"two initializers are named '{tensor.Name}'");
            }
            if (tensor.DataType == OnnxDataType.Float && !tensor.IsExternal)
            {
                var shape = tensor.Dims.Select(size => size <= int.MaxValue ? (int)size : -1).ToArray();
                if (shape.Contains(-1) || Shapes.CountOf(shape, "ONNX") > Array.MaxLength)
                {
                    throw error($"initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] has more elements than a tensor can hold");
                }
                weights.Add(tensor);
                shapes.Add(shape);
                continue;
            }
            constants[tensor.Name] = OnnxOperators.TensorValue(tensor, detail => error($"initializer: {detail}"));
        }
        OnnxValueInfo[] inputs = [.. graph.Inputs.Where(input => !defined.Contains(input.Name))];
        foreach (var input in inputs)
        {
            if (!input.IsTensor || !OnnxValue.Holds(input.ElementType))
            {
                throw error($"input '{input.Name}' is {input.DescribeType()}; Neurite takes float32, integer and bool tensors");
            }
            if (!defined.Add(input.Name))
            {
                throw error($"two inputs are named '{input.Name}'");
            }
        }
        var differentiated = new HashSet<string>(StringComparer.Ordinal);
        var program = new (OnnxNode, OnnxOperator)[graph.Nodes.Count];
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            string where = node.Describe(i);
            if (!OnnxNode.IsDefaultDomain(node.Domain))
            {
                throw error($"{where}: the operator {node.Domain}::{node.OpType} is not one of ONNX's own, which are all Neurite runs");
            }
            var op = OnnxOperators.Find(node.OpType) ?? throw error($"{where}: the operator {node.OpType} is not supported");
            if (node.Attributes.FirstOrDefault(attribute => !op.Attributes.Contains(attribute.Name)) is { } unknown)
            {
                throw error($"{where}: the attribute '{unknown.Name}' is not supported");
            }
            if (node.Attributes.GroupBy(attribute => attribute.Name).FirstOrDefault(group => group.Count() > 1) is { } repeated)
            {
                throw error($"{where}: the attribute '{repeated.Key}' is given twice");
            }
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                string input = node.Inputs[k];
                if (input.Length > 0 && !defined.Contains(input))
                {
                    throw error($"{where}: input {k} '{input}' is not a graph input, an initializer or the output of an earlier node");
                }
                if (!op.IsStatic(k))
                {
                    differentiated.Add(input);
                }
            }
            foreach (string output in node.Outputs.Where(output => output.Length > 0))
            {
                if (!defined.Add(output))
                {
                    throw error($"{where}: the output '{output}' is defined twice");
                }
            }
            program[i] = (node, op);
        }
        if (graph.Outputs.Count == 0)
        {
            throw error("the graph has no outputs");
        }
        if (graph.Outputs.FirstOrDefault(output => !defined.Contains(output.Name)) is { } missing)
        {
            throw error($"the graph output '{missing.Name}' is not computed by any node");
        }
        return new GraphPlan(opset, program, inputs, constants, weights, shapes, differentiated);
    }

    /// <summary>The graph's data inputs (those without an initializer), in the order the module takes them.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The graph's outputs; the first is the module's output.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    public override Tensor Forward(Tensor x) => Forward([x]);

    /// <summary>Runs the graph on its data inputs (integer inputs given as whole-number floats) and returns its first output.</summary>
    /// <exception cref="ArgumentException">The inputs do not fit the graph's declared inputs.</exception>
    /// <exception cref="InvalidDataException">A node fails on these values; the message names it.</exception>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != _inputs.Length)
        {
            throw new ArgumentException($"{_source}: the graph takes {_inputs.Length} input(s) ({string.Join(", ", InputNames)}), got {inputs.Count}.");
        }
        var values = new OnnxValue[inputs.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var info = _inputs[i];
            var x = inputs[i];
            values[i] = info.ElementType == OnnxDataType.Float ? OnnxValue.Of(x) : OnnxValue.Of(info.ElementType, [.. x.ToArray().Select(v =>
                v == MathF.Round(v) && float.IsFinite(v) ? OnnxOperators.Wrap(info.ElementType, (long)v)
                : throw new ArgumentException($"{_source}: input '{info.Name}' is {OnnxTensor.Describe(info.ElementType)}; got {v}, which is not a whole number."))], x.ShapeArray);
        }
        var output = Run(values)[0];
        return output.Float ?? Tensor.From([.. output.Ints!.Select(v => (float)v)], output.Shape);
    }

    /// <summary>Runs the graph on values of any supported element type; returns every graph output.</summary>
    internal OnnxValue[] Run(IReadOnlyList<OnnxValue> inputs)
    {
        var values = new Dictionary<string, OnnxValue>(_initializers, StringComparer.Ordinal);
        long startingElements = _initializers.Values.Sum(value => (long)value.Count);
        for (int i = 0; i < _inputs.Length; i++)
        {
            values[_inputs[i].Name] = Check(_inputs[i], inputs[i]);
            startingElements += inputs[i].Count;
        }
        var budget = new OnnxElementBudget(startingElements);
        for (int i = 0; i < _program.Length; i++)
        {
            var (node, op) = _program[i];
            var context = new OnnxNodeContext(node, $"{_source}: {node.Describe(i)}", _opset, IsTraining, _rng,
                [.. node.Inputs.Select(name => name.Length == 0 ? null : values[name])], budget);
            OnnxValue[] outputs;
            try
            {
                outputs = op.Run(context);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException)
            {
                throw context.Error(OneLine.Escape(e.Message.Split('\n')[0].TrimEnd()));
            }
            for (int k = 0; k < node.Outputs.Count; k++)
            {
                if (node.Outputs[k].Length > 0)
                {
                    values[node.Outputs[k]] = k < outputs.Length ? outputs[k] : throw context.Error($"{node.OpType} gives {outputs.Length} output(s), the node names {node.Outputs.Count}");
                }
            }
        }
        return [.. OutputNames.Select(name => values[name])];
    }

    /// <summary>A data input checked against its declaration: element type, rank, and every fixed size.</summary>
    private OnnxValue Check(OnnxValueInfo info, OnnxValue value)
    {
        bool fits = value.Type == info.ElementType && (info.Shape is null || (info.Shape.Count == value.Rank
            && info.Shape.Select((dim, axis) => dim.Value is not { } size || size == value.Shape[axis]).All(ok => ok)));
        return fits ? value : throw new ArgumentException($"{_source}: input '{info.Name}' takes {info.DescribeType()}, got {value.Describe()}.");
    }

    /// <summary>Registers an initializer under its state-dict name (nested scopes for its dotted parts) as a parameter or a buffer.</summary>
    private Tensor AddInitializer(string name, Tensor value, bool parameter)
    {
        string[] parts = name.Split('.');
        if (parts.Length == 1)
        {
            return parameter ? Register(name, value) : RegisterBuffer(name, value);
        }
        var scope = NamedChildren().FirstOrDefault(child => child.Key == parts[0]).Value as Scope ?? RegisterModule(parts[0], new Scope());
        foreach (string part in parts[1..^1])
        {
            scope = scope.Child(part);
        }
        return scope.Add(parts[^1], value, parameter);
    }

    /// <summary>
    /// State-dict names for initializer names: the name itself when its dotted parts are non-empty and it neither
    /// is a prefix of another nor has one as its prefix; otherwise its dots become underscores (and a clash takes a
    /// number).
    /// </summary>
    internal static Dictionary<string, string> StateNames(IEnumerable<string> names)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        bool Fits(string key)
        {
            var parts = key.Split('.');
            if (parts.Any(part => part.Length == 0) || leaves.Contains(key) || prefixes.Contains(key))
            {
                return false;
            }
            for (int i = 1; i < parts.Length; i++)
            {
                if (leaves.Contains(string.Join('.', parts[..i])))
                {
                    return false;
                }
            }
            return true;
        }
        foreach (string name in names)
        {
            string key = name;
            if (!Fits(key))
            {
                string flat = name.Length == 0 ? "_" : name.Replace('.', '_');
                key = flat;
                for (int k = 1; !Fits(key); k++)
                {
                    key = $"{flat}_{k}";
                }
            }
            result[name] = key;
            leaves.Add(key);
            var parts = key.Split('.');
            for (int i = 1; i < parts.Length; i++)
            {
                prefixes.Add(string.Join('.', parts[..i]));
            }
        }
        return result;
    }

    /// <summary>A module that only holds initializers and scopes: one dotted part of initializer names (<c>fc1</c> in <c>fc1.weight</c>).</summary>
    private sealed class Scope : Module
    {
        public Scope Child(string name) => NamedChildren().FirstOrDefault(child => child.Key == name).Value as Scope ?? RegisterModule(name, new Scope());

        public Tensor Add(string name, Tensor value, bool parameter) => parameter ? Register(name, value) : RegisterBuffer(name, value);

        public override Tensor Forward(Tensor x) => throw new NotSupportedException("A scope of an ONNX graph's initializers does not run on its own.");
    }
}
