using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Neurite.IO;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// A model and, optionally, how to train it, as the JSON spec of docs/spec-format.md describes it. Parsing
/// validates every field (its type, range and that it is known) and the shapes through the whole
/// network, so that a spec that parses builds; every error names the JSON path of the field.
/// </summary>
/// <remarks>
/// <para>Fields: <c>input</c> (required: the shape of one sample, e.g. [784]), <c>layers</c>
/// (required, non-empty: see <see cref="LayerSpec"/>) or a graph's <c>nodes</c>, and optionally <c>loss</c>
/// (<see cref="LossSpec"/>), <c>optimizer</c> (<see cref="OptimizerSpec"/>), <c>schedule</c>
/// (<see cref="ScheduleSpec"/>), <c>batch_size</c>, <c>epochs</c> (positive integers), <c>seed</c> (a
/// non-negative integer), <c>data</c> (<see cref="DataSpec"/>), <c>l1</c>, <c>l2</c> (penalties ≥ 0),
/// <c>clip_grad_norm</c> (&gt; 0), <c>early_stopping</c> (<see cref="EarlyStoppingSpec"/>) and <c>metrics</c> (a list of
/// <see cref="Training.MetricNames"/>).</para>
/// <para><see cref="ToJson"/> writes the spec back with every layer option explicit, so that
/// <c>Parse(spec.ToJson())</c> equals the spec.</para>
/// <para>A graph (<see cref="GraphSpec"/>) replaces <c>layers</c> with named <c>nodes</c>, each a layer
/// with a <c>name</c> and optionally <c>inputs</c> (the model inputs and earlier nodes it takes;
/// without it, the previous node, and for the first node the model input), and an optional
/// <c>output</c> (the output node; the last one by default):
/// <code>{"input": [2], "nodes": [{"name": "h", "type": "linear", "out": 16}, {"name": "a", "type": "relu"},
///  {"name": "cat", "type": "concat", "inputs": ["input", "a"]}, {"name": "out", "type": "linear", "out": 2}], "output": "out"}</code>
/// The model input is named <c>input</c>; several are declared by name instead, as
/// <c>"inputs": {"x": [2], "y": [3]}</c>. A node takes only inputs and earlier nodes, so a graph has no
/// cycles; nodes the output does not use are allowed (built, so their weights are in the state dict, but not run).</para>
/// <para>Shapes are inferred once, when the spec is parsed (or first used, for a spec built in code), and kept.</para>
/// </remarks>
/// <param name="Input">The shape of one sample, without the batch axis (for a graph, its first input's, which the graph's own <see cref="GraphSpec.Inputs"/> define).</param>
/// <param name="Layers">The layers, in order; a Sequential names them "0", "1", … (empty for a graph).</param>
public sealed record ModelSpec(IReadOnlyList<int> Input, IReadOnlyList<LayerSpec> Layers)
{
    private static readonly string[] Known =
        ["input", "layers", "loss", "optimizer", "schedule", "batch_size", "epochs", "seed", "data", "l1", "l2", "clip_grad_norm", "early_stopping",
         "metrics", "nodes", "inputs", "output", "autoencoder", "gan"];

    /// <summary>The fields a spec with <c>gan</c> may have beside it: the rest belong to the GAN's sides or do not apply.</summary>
    private static readonly string[] GanKnown = ["input", "gan", "batch_size", "epochs", "seed", "data"];

    private static readonly JsonDocumentOptions ParseOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    private Plan? _plan;

    /// <summary>A model given as a graph of named nodes; <see cref="Input"/> is the shape of its first input.</summary>
    /// <exception cref="ArgumentException">The graph has no input.</exception>
    public ModelSpec(GraphSpec graph)
        : this(graph.Inputs.Count > 0 ? graph.Inputs[0].Shape : throw new ArgumentException("ModelSpec: a graph needs at least one input.", nameof(graph)), [])
    {
        Graph = graph;
    }

    /// <summary>The graph, for a spec of <c>nodes</c>; null for a chain of <c>layers</c>.</summary>
    public GraphSpec? Graph { get; }

    /// <summary>loss: how training scores the outputs.</summary>
    public LossSpec? Loss { get; init; }

    /// <summary>optimizer: how training updates the parameters.</summary>
    public OptimizerSpec? Optimizer { get; init; }

    /// <summary>schedule: how the learning rate changes.</summary>
    public ScheduleSpec? Schedule { get; init; }

    /// <summary>batch_size: samples per training step.</summary>
    public int? BatchSize { get; init; }

    /// <summary>epochs: passes over the training data.</summary>
    public int? Epochs { get; init; }

    /// <summary>seed: the seed of weight initialization (and of dropout); 0 when absent.</summary>
    public ulong? Seed { get; init; }

    /// <summary>data: where the data comes from and how it is prepared.</summary>
    public DataSpec? Data { get; init; }

    /// <summary>l1: the weight of the L1 penalty λ₁·Σ|w| added to the loss.</summary>
    public double? L1 { get; init; }

    /// <summary>l2: the weight of the L2 penalty λ₂·Σw² added to the loss.</summary>
    public double? L2 { get; init; }

    /// <summary>clip_grad_norm: the largest total gradient norm; larger gradients are scaled down.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>early_stopping: when to stop training that no longer improves.</summary>
    public EarlyStoppingSpec? EarlyStopping { get; init; }

    /// <summary>autoencoder: the graph is an encoder–decoder pair that reconstructs its input (<see cref="AutoencoderSpec"/>).</summary>
    public AutoencoderSpec? Autoencoder { get; init; }

    /// <summary>
    /// Whether the model reconstructs its input, so that its loss compares the outputs with the inputs and the data's
    /// targets only label the samples: an autoencoder, or a restricted Boltzmann machine (a single <c>rbm</c> layer).
    /// </summary>
    public bool ReconstructsInput => Autoencoder is not null || Layers is [RbmSpec];

    /// <summary>gan: the spec is an adversarial pair, a generator and a discriminator with one optimizer each (<see cref="GanSpec"/>).</summary>
    public GanSpec? Gan { get; init; }

    /// <summary>metrics: figures reported beside the loss over the training batches and held-out data (<see cref="Training.MetricNames"/>).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>
    /// Parses and validates spec JSON; errors name <paramref name="source"/> (a file name) when given, and the JSON path.
    /// A count written "vocab" (an embedding's num, a linear layer's out) becomes <paramref name="vocabulary"/>, the
    /// vocabulary size of the data the spec is read for (<see cref="Data.Dataset.Vocabulary"/>); without one it is an error.
    /// </summary>
    /// <exception cref="ModelSpecException">The JSON is malformed or the spec is invalid.</exception>
    public static ModelSpec Parse(string json, string? source = null, int? vocabulary = null)
    {
        var reader = new SpecReader(source, vocabulary);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, ParseOptions);
        }
        catch (JsonException e)
        {
            throw reader.Error("", $"not valid JSON: {JsonErrors.Describe(e)}");
        }
        using (document)
        {
            reader.CheckStrings(document.RootElement);
            return Parse(reader, document.RootElement);
        }
    }

    /// <summary>Reads, parses and validates the spec file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ModelSpecException">The spec is invalid; the message starts with the path.</exception>
    public static ModelSpec Load(string path, int? vocabulary = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        return Parse(File.ReadAllText(path), path, vocabulary);
    }

    /// <summary>
    /// The <c>data.source</c> that spec JSON names, read without parsing the rest (which may need the source's
    /// vocabulary first); null when the JSON has none or cannot be read, which <see cref="Parse(string, string?, int?)"/> then reports.
    /// </summary>
    public static string? DataSourceOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, ParseOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && (data.TryGetProperty("source", out var source) || data.TryGetProperty("type", out source)) && source.ValueKind == JsonValueKind.String
                ? source.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ModelSpec Parse(SpecReader reader, JsonElement root)
    {
        var f = reader.Object(root, "", "a model spec", Known);
        ModelSpec spec;
        if (f.Has("gan"))
        {
            return ParseGan(reader, root, f);
        }
        if (f.Has("nodes"))
        {
            if (f.Has("layers"))
            {
                throw reader.Error("nodes", "a spec has either layers (a chain) or nodes (a graph), not both");
            }
            if (f.Has("input") && f.Has("inputs"))
            {
                throw reader.Error("inputs", "a spec has either one input or named inputs, not both");
            }
            IReadOnlyList<GraphInput> inputs = f.Optional("inputs") is { } named
                ? ParseInputs(reader, named)
                : [new GraphInput(GraphSpec.DefaultInput, ParseShape(reader, f.Required("input", "the shape of one sample, e.g. [784]"), "input"))];
            spec = new ModelSpec(GraphSpec.Parse(reader, f, inputs));
        }
        else
        {
            foreach (string field in new[] { "inputs", "output" })
            {
                if (f.Has(field))
                {
                    throw reader.Error(field, "named inputs and an output node belong to a graph: give \"nodes\" instead of \"layers\"");
                }
            }
            var input = ParseShape(reader, f.Required("input", "the shape of one sample, e.g. [784]"), "input");
            var layers = LayerSpec.ParseList(reader, f.Required("layers", "a non-empty list of layers (or a graph's nodes)"), "layers");
            spec = new ModelSpec(input, layers);
        }
        spec = spec with
        {
            Loss = f.Optional("loss") is { } loss ? LossSpec.Parse(reader, loss, "loss") : null,
            Optimizer = f.Optional("optimizer") is { } optimizer ? OptimizerSpec.Parse(reader, optimizer, "optimizer") : null,
            Schedule = f.Optional("schedule") is { } schedule ? ScheduleSpec.Parse(reader, schedule, "schedule") : null,
            BatchSize = f.OptionalInt("batch_size"),
            Epochs = f.OptionalInt("epochs"),
            Seed = f.Optional("seed") is { } seed
                ? seed.ValueKind == JsonValueKind.Number && seed.TryGetUInt64(out ulong value) ? value : throw reader.Error("seed", $"expected a non-negative integer, got {SpecReader.Show(seed)}")
                : null,
            Data = f.Optional("data") is { } data ? DataSpec.Parse(reader, data, "data") : null,
            L1 = f.OptionalNumber("l1", Check.NonNegative, Check.NonNegativeText),
            L2 = f.OptionalNumber("l2", Check.NonNegative, Check.NonNegativeText),
            ClipGradNorm = f.OptionalNumber("clip_grad_norm", Check.Positive, Check.PositiveText),
            EarlyStopping = f.Optional("early_stopping") is { } stopping ? EarlyStoppingSpec.Parse(reader, stopping, "early_stopping") : null,
            Metrics = f.Optional("metrics") is { } metrics ? ParseMetrics(reader, metrics) : null,
            Autoencoder = f.Optional("autoencoder") is { } autoencoder ? AutoencoderSpec.Parse(reader, autoencoder, "autoencoder") : null,
        };
        if (spec.Schedule is OneCycleScheduleSpec { CycleMomentum: true } && spec.Optimizer is { } chosen && chosen.Options.WithMomentum(0) is null)
        {
            throw reader.Error("schedule.cycle_momentum",
                $"one_cycle cycles the momentum by default (as PyTorch's OneCycleLR), and {chosen.Type} has neither a momentum nor betas: set \"cycle_momentum\": false");
        }
        spec.CheckShapes(reader);
        return spec;
    }

    /// <summary>A GAN's spec: the image shape, the pair, and how many samples, epochs and which data train it.</summary>
    private static ModelSpec ParseGan(SpecReader reader, JsonElement root, SpecReader.Fields f)
    {
        if (root.EnumerateObject().Select(field => field.Name).FirstOrDefault(name => !GanKnown.Contains(name)) is { } other)
        {
            throw reader.Error(other, $"a GAN's networks, losses and optimizers are in \"gan\" (gan.generator, gan.discriminator); beside it a spec takes only {string.Join(", ", GanKnown)}");
        }
        var image = ParseShape(reader, f.Required("input", "the shape of one image [C, H, W], e.g. [1, 28, 28]"), "input");
        if (image.Length != 3)
        {
            throw reader.Error("input", $"a GAN draws images: expected their shape [C, H, W], e.g. [1, 28, 28], got {Shapes.Format(image)}");
        }
        var data = f.Optional("data") is { } d ? DataSpec.Parse(reader, d, "data") : null;
        if (data?.Scale is { } scale && scale != "minmax_global")
        {
            throw reader.Error("data.scale", $"a GAN's images are scaled to [0, 1] by one range (minmax_global), then to the tanh's [-1, 1]; got \"{scale}\"");
        }
        return new ModelSpec(image, [])
        {
            Gan = GanSpec.Parse(reader, f.Required("gan", "the adversarial pair"), "gan", image),
            BatchSize = f.OptionalInt("batch_size"),
            Epochs = f.OptionalInt("epochs"),
            Seed = f.Optional("seed") is { } seed
                ? seed.ValueKind == JsonValueKind.Number && seed.TryGetUInt64(out ulong value) ? value : throw reader.Error("seed", $"expected a non-negative integer, got {SpecReader.Show(seed)}")
                : null,
            Data = data,
        };
    }

    /// <summary>
    /// One side of a GAN (<see cref="GanSpec"/>): a chain of <c>layers</c> or a graph of <c>nodes</c> (and <c>output</c>)
    /// taking one input of shape <paramref name="input"/>, and an optional <c>optimizer</c>; <paramref name="reader"/>
    /// names paths under the side's.
    /// </summary>
    internal static ModelSpec ParseNetwork(SpecReader reader, JsonElement element, string what, IReadOnlyCollection<string> known, int[] input)
    {
        var f = reader.Object(element, "", what, known);
        ModelSpec spec;
        if (f.Has("nodes"))
        {
            if (f.Has("layers"))
            {
                throw reader.Error("nodes", "a network has either layers (a chain) or nodes (a graph), not both");
            }
            spec = new ModelSpec(GraphSpec.Parse(reader, f, [new GraphInput(GraphSpec.DefaultInput, input)]));
        }
        else
        {
            if (f.Has("output"))
            {
                throw reader.Error("output", "an output node belongs to a graph: give \"nodes\" instead of \"layers\"");
            }
            spec = new ModelSpec(input, LayerSpec.ParseList(reader, f.Required("layers", "a non-empty list of layers (or a graph's nodes)"), "layers"));
        }
        spec = spec with { Optimizer = f.Optional("optimizer") is { } optimizer ? OptimizerSpec.Parse(reader, optimizer, "optimizer") : null };
        spec.CheckShapes(reader);
        return spec;
    }

    /// <summary>Writes a GAN side's network as <see cref="ParseNetwork"/> reads it: its layers or nodes and its optimizer, not its input.</summary>
    internal void WriteNetwork(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (Graph is null)
        {
            LayerSpec.WriteList(json, "layers", Layers);
        }
        else
        {
            Graph.WriteNodes(json);
        }
        if (Optimizer is not null)
        {
            json.WritePropertyName("optimizer");
            Optimizer.Write(json);
        }
        json.WriteEndObject();
    }

    private static string[] ParseMetrics(SpecReader reader, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw reader.Error("metrics", $"expected a list of metric names ({string.Join(", ", Training.MetricNames.Names)}), got {SpecReader.Show(element)}");
        }
        var names = element.EnumerateArray().Select((item, i) => reader.Choice(item, $"metrics[{i}]", "metric", Training.MetricNames.Names)).ToArray();
        if (names.Distinct().Count() != names.Length)
        {
            throw reader.Error("metrics", "a metric is named twice");
        }
        return names;
    }

    private static int[] ParseShape(SpecReader reader, JsonElement element, string path)
    {
        var shape = reader.IntList(element, path, 1, "the shape of one sample, a list of positive integers such as [784]");
        if (shape.Length == 0)
        {
            throw reader.Error(path, "expected the shape of one sample, a list of positive integers such as [784], got []");
        }
        if (shape.Aggregate(1L, (count, size) => Math.Min(count * size, long.MaxValue / 2)) > Array.MaxLength)
        {
            throw reader.Error(path, $"a sample of shape {Shapes.Format(shape)} has more elements than a tensor can hold ({Array.MaxLength})");
        }
        return shape;
    }

    private static GraphInput[] ParseInputs(SpecReader reader, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.EnumerateObject().Any())
        {
            throw reader.Error("inputs", $"expected named input shapes such as {{\"x\": [2], \"y\": [3]}}, got {SpecReader.Show(element)}");
        }
        var fields = reader.Object(element, "inputs", "inputs", [.. element.EnumerateObject().Select(input => input.Name)]);
        return [.. element.EnumerateObject().Select(input => new GraphInput(input.Name, ParseShape(reader, input.Value, fields.PathOf(input.Name))))];
    }

    /// <summary>A node of the resolved network: its name, layer, inputs (in its context) and output shape.</summary>
    private sealed record Node(string Name, LayerSpec Layer, LayerContext Context, int[] Shape);

    /// <summary>The network as resolved from <see cref="Input"/>, <see cref="Layers"/> and <see cref="Graph"/>, which it was resolved from.</summary>
    private sealed record Plan(IReadOnlyList<int> Input, IReadOnlyList<LayerSpec> Layers, GraphSpec? Graph, Node[] Nodes, int[] Output);

    /// <summary>The nodes and their shapes, inferred once and kept (again only if <c>with</c> gave the spec another network).</summary>
    private Plan Resolve(SpecReader reader)
    {
        var plan = _plan;
        if (plan is null || !ReferenceEquals(plan.Input, Input) || !ReferenceEquals(plan.Layers, Layers) || !ReferenceEquals(plan.Graph, Graph))
        {
            _plan = plan = Graph is null ? ResolveChain(reader) : ResolveGraph(Graph, reader);
        }
        return plan;
    }

    private Plan ResolveChain(SpecReader reader)
    {
        var chain = LayerSpec.Chain(Layers, [.. Input], "layers", reader);
        var nodes = chain.Select((node, i) => new Node(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Layers[i], node.Context, node.Output)).ToArray();
        return new Plan(Input, Layers, null, nodes, nodes.Length == 0 ? [.. Input] : nodes[^1].Shape);
    }

    private Plan ResolveGraph(GraphSpec graph, SpecReader reader)
    {
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            shapes.Add(input.Name, [.. input.Shape]);
        }
        string inputNames = string.Join(", ", graph.Inputs.Select(input => input.Name));
        var nodes = new Node[graph.Nodes.Count];
        for (int i = 0; i < nodes.Length; i++)
        {
            var node = graph.Nodes[i];
            string path = $"nodes[{i}]", inputsPath = SpecReader.Child(path, "inputs");
            if (node.Name.Length == 0 || node.Name.Contains('.'))
            {
                throw reader.Error(SpecReader.Child(path, "name"), $"\"{node.Name}\" is not a node name: a node name is non-empty and has no dots (state-dict names join with dots)");
            }
            if (shapes.ContainsKey(node.Name))
            {
                int first = Array.FindIndex(nodes, 0, i, n => n.Name == node.Name);
                throw reader.Error(SpecReader.Child(path, "name"), first < 0
                    ? $"\"{node.Name}\" is already the name of a model input"
                    : $"\"{node.Name}\" is already the name of nodes[{first}]");
            }
            IReadOnlyList<string> from = node.Inputs ?? (i > 0 ? [nodes[i - 1].Name]
                : graph.Inputs.Count == 1 ? [graph.Inputs[0].Name]
                : throw reader.Error(inputsPath, $"missing; the model has several inputs ({inputNames}), so the first node names the ones it takes"));
            for (int k = 0; k < from.Count; k++)
            {
                if (!shapes.ContainsKey(from[k]))
                {
                    int later = FindNode(graph, from[k]);
                    throw reader.Error($"{inputsPath}[{k}]", later >= i
                        ? $"\"{from[k]}\" is {(later == i ? "this node" : $"nodes[{later}]")}; a node takes model inputs and earlier nodes only, so that the graph has no cycles"
                        : $"unknown input \"{from[k]}\"; known here: {string.Join(", ", shapes.Keys)}");
                }
            }
            var context = new LayerContext(reader, path, [.. from.Select(name => shapes[name])], from, inputsPath);
            nodes[i] = new Node(node.Name, node.Layer, context, context.Infer(node.Layer));
            shapes.Add(node.Name, nodes[i].Shape);
        }
        if (FindNode(graph, graph.Output) < 0)
        {
            throw reader.Error("output", $"unknown node \"{graph.Output}\"; known: {string.Join(", ", graph.Nodes.Select(node => node.Name))}");
        }
        return new Plan(Input, Layers, graph, nodes, shapes[graph.Output]);
    }

    private static int FindNode(GraphSpec graph, string name)
    {
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            if (graph.Nodes[i].Name == name)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The network resolved and checked against the loss's needs; throws naming the first impossible layer or node.</summary>
    private Plan CheckShapes(SpecReader reader)
    {
        var plan = Resolve(reader);
        CheckRbm(reader);
        if (Autoencoder is not null)
        {
            CheckAutoencoder(plan, reader);
        }
        else if (Loss is { TakesClassIndices: true } && plan.Output.Length is not (1 or 2))
        {
            throw reader.Error("loss", $"{Loss.Type} needs class scores [C] per sample, or [T, C] for one class per step, but the network outputs {Shapes.Format(plan.Output)}");
        }
        return plan;
    }

    /// <summary>
    /// An autoencoder's graph: one input, a code node the output depends on, an output with as many values as the input
    /// (it reconstructs it), and no path from the input to the output that bypasses the code (the decoder runs from a
    /// code alone). Throws naming the field.
    /// </summary>
    private void CheckAutoencoder(Plan plan, SpecReader reader)
    {
        string code = Autoencoder!.Code;
        if (Graph is not { } graph)
        {
            throw reader.Error("autoencoder", "an autoencoder is a graph: give \"nodes\" (the encoder, the code node, the decoder) instead of \"layers\"");
        }
        if (graph.Inputs.Count != 1)
        {
            throw reader.Error("autoencoder", $"an autoencoder reconstructs one input, but the graph takes {graph.Inputs.Count}");
        }
        int codeIndex = FindNode(graph, code);
        if (codeIndex < 0)
        {
            throw reader.Error("autoencoder.code", $"unknown node \"{code}\"; known: {string.Join(", ", graph.Nodes.Select(node => node.Name))}");
        }
        long inputCount = Shapes.CheckedCount([.. Input], "input"), outputCount = Shapes.CheckedCount(plan.Output, "output");
        if (inputCount != outputCount)
        {
            throw reader.Error("output", $"an autoencoder's output reconstructs its input {Shapes.Format([.. Input])} ({inputCount} values), but node \"{graph.Output}\" gives {Shapes.Format(plan.Output)} ({outputCount} values)");
        }
        // Walk back from the output, stopping at the code node: reaching the model input means the decoder needs it.
        var byName = plan.Nodes.ToDictionary(node => node.Name, StringComparer.Ordinal);
        var pending = new Stack<string>([graph.Output]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool reachesCode = false;
        while (pending.TryPop(out var name))
        {
            if (name == code)
            {
                reachesCode = true;
                continue;
            }
            if (!seen.Add(name) || !byName.TryGetValue(name, out var node))
            {
                continue;
            }
            foreach (string source in node.Context.InputNames)
            {
                if (source == graph.Inputs[0].Name)
                {
                    throw reader.Error("autoencoder.code",
                        $"node \"{name}\" takes the input \"{source}\" on the way to the output without passing node \"{code}\", so the decoder cannot run from a code alone");
                }
                pending.Push(source);
            }
        }
        if (!reachesCode)
        {
            throw reader.Error("autoencoder.code", $"the output node \"{graph.Output}\" does not depend on node \"{code}\"");
        }
    }

    /// <summary>An rbm is a whole model: the only entry of <c>layers</c>, its loss the reconstruction error (mse or bce).</summary>
    private void CheckRbm(SpecReader reader)
    {
        int node = Graph?.Nodes.ToList().FindIndex(n => n.Layer is RbmSpec) ?? -1;
        if (node >= 0)
        {
            throw reader.Error($"nodes[{node}]", "an rbm is a whole model: give it as the only entry of \"layers\", not as a graph node");
        }
        int layer = Layers.ToList().FindIndex(l => l is RbmSpec);
        if (layer >= 0 && Layers.Count > 1)
        {
            throw reader.Error($"layers[{layer}]", $"an rbm is a whole model: give it as the only entry of \"layers\", which has {Layers.Count}");
        }
        if (layer >= 0 && Loss is { Type: not ("mse" or "bce") } loss)
        {
            throw reader.Error("loss", $"an rbm's loss is the error of its reconstruction (probabilities), mse or bce; got {loss.Type}");
        }
    }

    /// <summary>The shape of one sample of a graph node's value (or of a model input), without the batch axis.</summary>
    /// <exception cref="ArgumentException">There is no node or input of that name.</exception>
    public int[] NodeShape(string name)
    {
        var plan = CheckShapes(new SpecReader(null));
        if (Graph?.Inputs.FirstOrDefault(input => input.Name == name) is { } input)
        {
            return [.. input.Shape];
        }
        return plan.Nodes.FirstOrDefault(node => node.Name == name) is { } found
            ? [.. found.Shape]
            : throw new ArgumentException($"ModelSpec: no node or input named \"{name}\".", nameof(name));
    }

    /// <summary>The layer of the graph node <paramref name="name"/>, or null when there is no such node.</summary>
    public LayerSpec? NodeLayer(string name) => Graph?.Nodes.FirstOrDefault(node => node.Name == name)?.Layer;

    /// <summary>
    /// A lower bound of the parameter count, found without building the network: what its top-level layers count
    /// from their fields (<see cref="LayerSpec.MinimumParameters"/>). For refusing, before any allocation, a
    /// network that cannot fit.
    /// </summary>
    internal long MinimumParameters() => Gan is { } gan
        ? gan.Generator.MinimumParameters() + gan.Discriminator.MinimumParameters()
        : CheckShapes(new SpecReader(null)).Nodes.Sum(node => node.Layer.MinimumParameters(node.Context));

    /// <summary>
    /// The network as resolved: the model inputs (a chain's one is "input"), every layer or node with its context
    /// (input shapes and names) and output shape, and the name of the output node.
    /// </summary>
    internal (IReadOnlyList<GraphInput> Inputs, IReadOnlyList<(string Name, LayerSpec Layer, LayerContext Context, int[] Shape)> Nodes, string Output) Network()
    {
        var plan = CheckShapes(new SpecReader(null));
        return (Graph?.Inputs ?? [new GraphInput(GraphSpec.DefaultInput, Input)],
            [.. plan.Nodes.Select(node => (node.Name, node.Layer, node.Context, node.Shape))],
            Graph?.Output ?? plan.Nodes[^1].Name);
    }

    /// <summary>The output shape of every layer (or graph node, in order) for one sample, without the batch axis.</summary>
    /// <exception cref="ModelSpecException">A layer cannot take its input (a spec built in code; parsed specs have been checked).</exception>
    public IReadOnlyList<int[]> OutputShapes() => [.. CheckShapes(new SpecReader(null)).Nodes.Select(node => (int[])node.Shape.Clone())];

    /// <summary>The shape of the model's output for one sample: the last layer's, or the graph's output node's.</summary>
    /// <exception cref="ModelSpecException">A layer cannot take its input.</exception>
    public int[] OutputShape() => [.. CheckShapes(new SpecReader(null)).Output];

    /// <summary>
    /// Builds the network, its weights initialized from <paramref name="rng"/>, or from a generator
    /// seeded with <see cref="Seed"/> (0 when absent): the same spec and seed give the same weights.
    /// A chain of <see cref="Layers"/> is a <see cref="Sequential"/> (children "0", "1", …); a
    /// <see cref="Graph"/> is a <see cref="GraphModule"/> whose children are named as its nodes.
    /// </summary>
    /// <remarks>
    /// Dropout layers draw their masks from the same generator once the weights are drawn;
    /// <see cref="Training.Trainer"/> reseeds it every epoch from its seed and the epoch, so that a
    /// run resumed from a checkpoint draws the same masks as an uninterrupted one. A <see cref="Gan"/> spec builds a
    /// <see cref="NN.Gan"/> (children "generator" and "discriminator").
    /// </remarks>
    /// <exception cref="ModelSpecException">A layer cannot take its input.</exception>
    public Module Build(Generator? rng = null)
    {
        rng ??= new Generator(Seed ?? 0);
        if (Gan is not null)
        {
            return Gan.Build(rng);
        }
        var plan = CheckShapes(new SpecReader(null));
        var modules = plan.Nodes.Select(node => node.Layer.Build(node.Context, rng)).ToArray();
        return Graph is null
            ? new Sequential(modules)
            : new GraphModule(
                [.. Graph.Inputs.Select(input => input.Name)],
                [.. plan.Nodes.Select((node, i) => new GraphNode(node.Name, modules[i], node.Context.InputNames))],
                Graph.Output);
    }

    /// <summary>
    /// Each layer's (or graph node's) name, type, output shape (batch axis −1), parameter count and
    /// multiply–accumulates per sample (<see cref="LayerSpec.MultiplyAccumulates"/>), and the totals.
    /// The parameter counts are those of the built modules.
    /// </summary>
    public ModelSummary Summarize()
    {
        if (Gan is { } gan)
        {
            // Both sides' rows, named as in the state dict ("generator.0"); the input is the generator's.
            var sides = new[] { ("generator", gan.Generator.Summarize()), ("discriminator", gan.Discriminator.Summarize()) };
            var named = sides.SelectMany(side => side.Item2.Layers.Select(row => row with { Name = side.Item1 + "." + row.Name })).ToList();
            long all = named.Sum(row => row.Params);
            return new ModelSummary(sides[0].Item2.InputShape, named, all, all);
        }
        var plan = CheckShapes(new SpecReader(null));
        var modules = Build().NamedChildren().ToDictionary(child => child.Key, child => child.Value);
        var rows = plan.Nodes.Select(node => new LayerSummary(node.Name, node.Layer.Type, [-1, .. node.Shape], modules[node.Name].ParameterCount)
        {
            Description = node.Layer.Describe(),
            Inputs = Graph is null ? null : node.Context.InputNames,
            MultiplyAccumulates = node.Layer.MultiplyAccumulates(node.Context),
        }).ToList();
        long total = rows.Sum(row => row.Params);
        return new ModelSummary([-1, .. Input], rows, total, total);
    }

    /// <summary>The spec as JSON, every layer option explicit; absent optional fields are left out.</summary>
    public string ToJson(bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (Gan is not null)
            {
                GraphSpec.WriteShape(json, "input", Input);
                Gan.Write(json);
            }
            else if (Graph is null)
            {
                GraphSpec.WriteShape(json, "input", Input);
                LayerSpec.WriteList(json, "layers", Layers);
            }
            else
            {
                Graph.Write(json);
            }
            Loss?.Write(json, "loss");
            if (Optimizer is not null)
            {
                json.WritePropertyName("optimizer");
                Optimizer.Write(json);
            }
            if (Schedule is not null)
            {
                json.WritePropertyName("schedule");
                Schedule.Write(json);
            }
            DataSpec.WriteOptional(json, "batch_size", BatchSize);
            DataSpec.WriteOptional(json, "epochs", Epochs);
            if (Seed is { } seed)
            {
                json.WriteNumber("seed", seed);
            }
            Data?.Write(json);
            DataSpec.WriteOptional(json, "l1", L1);
            DataSpec.WriteOptional(json, "l2", L2);
            DataSpec.WriteOptional(json, "clip_grad_norm", ClipGradNorm);
            EarlyStopping?.Write(json);
            Autoencoder?.Write(json);
            if (Metrics is not null)
            {
                json.WriteStartArray("metrics");
                foreach (string metric in Metrics)
                {
                    json.WriteStringValue(metric);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Specs are equal when they write the same JSON.</summary>
    public bool Equals(ModelSpec? other) => other is not null && ToJson(false) == other.ToJson(false);

    public override int GetHashCode() => ToJson(false).GetHashCode(StringComparison.Ordinal);
}

/// <summary>One row of a model summary.</summary>
/// <param name="Name">The layer's state-dict prefix, e.g. "0".</param>
/// <param name="Type">The spec's layer type, e.g. "linear".</param>
/// <param name="OutputShape">The output shape with the batch axis first, as −1.</param>
/// <param name="Params">The number of learnable values.</param>
public sealed record LayerSummary(string Name, string Type, IReadOnlyList<int> OutputShape, long Params)
{
    /// <summary>The layer's one-line description, e.g. <c>linear(out=16, bias=true)</c> (<see cref="LayerSpec.Describe"/>).</summary>
    public string Description { get; init; } = Type;

    /// <summary>For a graph node, the names of the inputs and nodes it takes; null in a chain of layers.</summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>The multiply–accumulates of one sample's forward pass (<see cref="LayerSpec.MultiplyAccumulates"/>).</summary>
    public long MultiplyAccumulates { get; init; }
}

/// <summary>A Keras-like summary of a model: its layers, their output shapes, parameter counts and multiply–accumulates, and the totals.</summary>
/// <param name="InputShape">The input shape with the batch axis first, as −1 (a graph's first input).</param>
/// <param name="Layers">One row per layer of the spec or node of its graph (a residual block is one row with its inner parameters).</param>
/// <param name="TotalParams">All learnable values (parameters, as PyTorch counts them; buffers such as running means excluded).</param>
/// <param name="TrainableParams">The learnable values training updates (all of them: nothing is frozen).</param>
public sealed record ModelSummary(IReadOnlyList<int> InputShape, IReadOnlyList<LayerSummary> Layers, long TotalParams, long TrainableParams)
{
    /// <summary>The multiply–accumulates of one sample's forward pass through every layer.</summary>
    public long TotalMultiplyAccumulates => Layers.Sum(layer => layer.MultiplyAccumulates);

    /// <summary>
    /// {"total_params", "trainable_params", "total_macs", "layers": [{"name", "type", "output_shape", "params", "macs"}]},
    /// the batch axis of each output shape written as null; a graph node's row also lists its "inputs".
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("total_params", TotalParams);
            json.WriteNumber("trainable_params", TrainableParams);
            json.WriteNumber("total_macs", TotalMultiplyAccumulates);
            json.WriteStartArray("layers");
            foreach (var layer in Layers)
            {
                json.WriteStartObject();
                json.WriteString("name", layer.Name);
                json.WriteString("type", layer.Type);
                if (layer.Inputs is not null)
                {
                    json.WriteStartArray("inputs");
                    foreach (string input in layer.Inputs)
                    {
                        json.WriteStringValue(input);
                    }
                    json.WriteEndArray();
                }
                json.WriteStartArray("output_shape");
                json.WriteNullValue();
                foreach (int size in layer.OutputShape.Skip(1))
                {
                    json.WriteNumberValue(size);
                }
                json.WriteEndArray();
                json.WriteNumber("params", layer.Params);
                json.WriteNumber("macs", layer.MultiplyAccumulates);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
