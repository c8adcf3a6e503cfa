using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>One node of a <see cref="GraphModule"/>: a module, registered under <paramref name="Name"/>, applied to named inputs.</summary>
/// <param name="Name">The node's name, its module's state-dict prefix ("h" gives "h.weight").</param>
/// <param name="Module">The module the node runs.</param>
/// <param name="Inputs">The model inputs and earlier nodes whose outputs it takes, in order.</param>
public sealed record GraphNode(string Name, Module Module, IReadOnlyList<string> Inputs);

/// <summary>
/// A network as a directed acyclic graph of named modules: each node applies its module to the
/// outputs of model inputs or earlier nodes, and the output node's result is the network's (nodes
/// the output does not depend on are kept, with their parameters, but not run). Each
/// node's module is registered under the node's name, so the state dict reads <c>h.weight</c>,
/// <c>out.bias</c>, as a PyTorch module with those attributes.
/// </summary>
public sealed class GraphModule : Module
{
    private readonly int _inputCount;
    private readonly Module[] _modules;
    private readonly int[][] _sources; // per node: indices into [inputs…, nodes…]
    private readonly bool[] _used; // per node: whether the output depends on it
    private readonly int _output;
    private readonly Dictionary<string, int> _index; // inputs, then nodes

    /// <param name="inputs">The names of the model inputs, in the order Forward takes them.</param>
    /// <param name="nodes">The nodes, in an order where each takes only inputs and earlier nodes.</param>
    /// <param name="output">The node (or input) whose value Forward returns.</param>
    /// <exception cref="ArgumentException">A name is repeated or invalid, a node names an unknown or later one, or there is no such output.</exception>
    public GraphModule(IReadOnlyList<string> inputs, IReadOnlyList<GraphNode> nodes, string output)
    {
        if (inputs.Count == 0)
        {
            throw new ArgumentException("GraphModule: needs at least one input.", nameof(inputs));
        }
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string input in inputs)
        {
            if (!index.TryAdd(input, index.Count))
            {
                throw new ArgumentException($"GraphModule: the input name '{input}' is repeated.", nameof(inputs));
            }
        }
        _inputCount = inputs.Count;
        InputNames = [.. inputs];
        _modules = new Module[nodes.Count];
        _sources = new int[nodes.Count][];
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            _sources[i] = [.. node.Inputs.Select(name => index.TryGetValue(name, out int source)
                ? source
                : throw new ArgumentException($"GraphModule: node '{node.Name}' takes '{name}', which is neither an input nor an earlier node.", nameof(nodes)))];
            if (_sources[i].Length == 0)
            {
                throw new ArgumentException($"GraphModule: node '{node.Name}' takes no inputs.", nameof(nodes));
            }
            if (!index.TryAdd(node.Name, index.Count))
            {
                throw new ArgumentException($"GraphModule: the name '{node.Name}' is used twice.", nameof(nodes));
            }
            _modules[i] = RegisterModule(node.Name, node.Module);
        }
        _output = index.TryGetValue(output, out int last)
            ? last
            : throw new ArgumentException($"GraphModule: the output '{output}' is neither an input nor a node.", nameof(output));
        _used = new bool[nodes.Count];
        var pending = new Stack<int>([_output]);
        while (pending.TryPop(out int value))
        {
            int node = value - _inputCount;
            if (node >= 0 && !_used[node])
            {
                _used[node] = true;
                foreach (int source in _sources[node])
                {
                    pending.Push(source);
                }
            }
        }
        Nodes = [.. nodes];
        _index = index;
    }

    /// <summary>The names of the model inputs, in the order Forward takes them.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The nodes, in the order they run.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Runs the graph on its one input.</summary>
    /// <exception cref="ArgumentException">The graph has several inputs.</exception>
    public override Tensor Forward(Tensor x) => Forward([x]);

    /// <summary>Runs the nodes the output depends on, in order, on the given model inputs and returns the output node's value.</summary>
    /// <exception cref="ArgumentException">The number of inputs is not the graph's.</exception>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != _inputCount)
        {
            throw new ArgumentException($"GraphModule: takes {_inputCount} input(s) ({string.Join(", ", InputNames)}), got {inputs.Count}.", nameof(inputs));
        }
        var values = new Tensor[_inputCount + _modules.Length];
        for (int i = 0; i < _inputCount; i++)
        {
            values[i] = inputs[i];
        }
        for (int i = 0; i < _modules.Length; i++)
        {
            if (!_used[i])
            {
                continue;
            }
            var sources = _sources[i];
            values[_inputCount + i] = sources.Length == 1
                ? _modules[i].Call(values[sources[0]])
                : _modules[i].Call([.. sources.Select(source => values[source])]);
        }
        return values[_output];
    }

    /// <summary>
    /// The value of <paramref name="output"/> (a node or input name) computed from <paramref name="given"/> values of
    /// model inputs or nodes, by name, which are taken as they are instead of computed: only the nodes between them run.
    /// An encoder is <c>Run({input: x}, code)</c>, a decoder <c>Run({code: z}, output)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A name is unknown, or the output depends on a model input that is not given.</exception>
    public Tensor Run(IReadOnlyDictionary<string, Tensor> given, string output)
    {
        ArgumentNullException.ThrowIfNull(given);
        var values = new Tensor?[_inputCount + _modules.Length];
        foreach (var (name, value) in given)
        {
            values[_index.TryGetValue(name, out int at) ? at : throw new ArgumentException($"GraphModule: no input or node is named '{name}'.", nameof(given))] = value;
        }
        int target = _index.TryGetValue(output, out int found) ? found : throw new ArgumentException($"GraphModule: no input or node is named '{output}'.", nameof(output));
        var needed = new bool[values.Length];
        var pending = new Stack<int>([target]);
        while (pending.TryPop(out int value))
        {
            if (needed[value] || values[value] is not null)
            {
                continue;
            }
            if (value < _inputCount)
            {
                throw new ArgumentException($"GraphModule: '{output}' depends on the input '{InputNames[value]}', which is not given.", nameof(given));
            }
            needed[value] = true;
            foreach (int source in _sources[value - _inputCount])
            {
                pending.Push(source);
            }
        }
        for (int i = 0; i < _modules.Length; i++)
        {
            if (needed[_inputCount + i])
            {
                var sources = _sources[i];
                values[_inputCount + i] = sources.Length == 1
                    ? _modules[i].Call(values[sources[0]]!)
                    : _modules[i].Call([.. sources.Select(source => values[source]!)]);
            }
        }
        return values[target]!;
    }
}
