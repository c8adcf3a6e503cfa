using Neurite.Autograd;
using Neurite.Data;
using Neurite.IO;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// ONNX files from and to Neurite models. <see cref="Export"/> and <see cref="Save"/> write a model built from
/// a spec as an ONNX graph (opset <see cref="OnnxExporter.Opset"/>, IR version <see cref="OnnxExporter.IrVersion"/>)
/// that ONNX Runtime runs with the model's outputs.
/// </summary>
public static class OnnxFile
{
    /// <summary>The symbolic name of the batch axis in an exported graph's input and output shapes.</summary>
    public const string BatchAxis = "batch";

    /// <summary>The most input elements an import runs the graph on to learn its output's shape (2²², 16 MB of floats).</summary>
    private const long DryRunElements = 1 << 22;

    /// <summary>
    /// The ONNX model of <paramref name="module"/> (built from <paramref name="spec"/>) in evaluation mode: one
    /// float32 input per model input (a chain's and a one-input graph's is named <c>input</c>), of shape
    /// [batch, *the sample's shape], and one output named <c>output</c>, [batch, *the output's shape]; the batch
    /// axis is symbolic. Weights are initializers named as in the state dict (<c>0.weight</c>). Graph nodes the
    /// output does not use are left out.
    /// </summary>
    /// <param name="module">The module built from <paramref name="spec"/>.</param>
    /// <param name="spec">The spec.</param>
    /// <param name="scaling">
    /// The input scaling a model file records (<see cref="Data.Standardize"/> or <see cref="Data.MinMaxScale"/>), or
    /// null: given, the graph applies it first, (input − shift)/divisor, so that it takes raw features as
    /// <c>neurite predict</c> does.
    /// </param>
    /// <remarks>
    /// A GAN (<see cref="ModelSpec.Gan"/>) exports its generator: the input is z, with the one-hot label concatenated for a
    /// conditional pair ([batch, latent + classes]), and the output the image in the tanh's [−1, 1]; the data's scaling is
    /// not applied.
    /// </remarks>
    /// <exception cref="NotSupportedException">A layer has no exact ONNX form; the message names its path and type.</exception>
    /// <exception cref="ArgumentException">The module was not built from the spec, or the scaling does not fit its one input.</exception>
    public static OnnxModel Export(Module module, ModelSpec spec, IPreprocessor? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Gan is { } gan)
        {
            return module is Gan pair
                ? Export(pair.Generator, gan.Generator)
                : throw new ArgumentException($"OnnxFile.Export: a GAN's spec needs its Gan module, got {module.GetType().Name}.", nameof(module));
        }
        var (inputs, nodes, output) = spec.Network();
        var types = inputs.ToDictionary(input => input.Name, input => scaling is null ? InputType(input.Name, nodes) : OnnxDataType.Float, StringComparer.Ordinal);
        var exporter = new OnnxExporter(module, inputs.Select(input => (input.Name, types[input.Name])));
        var values = inputs.ToDictionary(input => input.Name, input => input.Name, StringComparer.Ordinal);
        if (scaling is not null)
        {
            values[inputs[0].Name] = Scale(exporter, scaling, inputs);
        }
        var used = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([output]);
        while (pending.TryPop(out string? name))
        {
            if (used.Add(name) && nodes.FirstOrDefault(node => node.Name == name) is { Layer: not null } node)
            {
                foreach (string input in node.Context.InputNames)
                {
                    pending.Push(input);
                }
            }
        }
        foreach (var node in nodes.Where(node => used.Contains(node.Name)))
        {
            values[node.Name] = exporter.Layer(node.Layer, node.Context, node.Name, [.. node.Context.InputNames.Select(input => values[input])]);
        }
        const string outputName = "output";
        exporter.NameOutput(values[output], outputName);
        var outputShape = nodes.First(node => node.Name == output).Shape;
        return new OnnxModel
        {
            IrVersion = OnnxExporter.IrVersion,
            Opsets = [new OnnxOpset("", OnnxExporter.Opset)],
            ProducerName = "neurite",
            ProducerVersion = typeof(OnnxFile).Assembly.GetName().Version?.ToString(3) ?? "",
            Graph = new OnnxGraph
            {
                Name = "neurite",
                Nodes = exporter.Nodes,
                Initializers = exporter.Initializers,
                Inputs = [.. inputs.Select(input => ValueInfo(input.Name, input.Shape, types[input.Name]))],
                Outputs = [ValueInfo(outputName, outputShape, OnnxDataType.Float)],
            },
        };
    }

    /// <summary>
    /// Writes <see cref="Export"/>'s model to <paramref name="path"/>, atomically: an existing file is replaced only
    /// by a complete one. Returns the model written.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no exact ONNX form (nothing is written).</exception>
    public static OnnxModel Save(string path, Module module, ModelSpec spec, IPreprocessor? scaling = null)
    {
        var model = Export(module, spec, scaling);
        var bytes = model.ToBytes();
        AtomicFile.Write(path, stream => stream.Write(bytes));
        return model;
    }

    /// <summary>
    /// Imports the ONNX model at <paramref name="path"/> as a trainable Neurite model (see <see cref="Import"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or its graph uses what Neurite does not run; the message names the byte offset, node, operator or value.</exception>
    public static LoadedModel Load(string path) => Import(OnnxModel.Load(path), path);

    /// <summary>
    /// An ONNX model as a trainable Neurite model: an <c>onnx</c> layer (<see cref="OnnxSpec"/>) run by an
    /// <see cref="OnnxGraphModule"/> whose parameters are the graph's float initializers. A graph with one data input
    /// is the chain <c>{"input": [sample shape], "layers": [{"type": "onnx", …}]}</c> (weights <c>0.NAME</c>); with
    /// several, a graph spec whose node <c>onnx</c> takes them all. The model trains with any optimizer and saves with
    /// <see cref="ModelFile.Save"/>; the file's metadata_props are its metadata.
    /// </summary>
    /// <remarks>
    /// Every data input needs a batch axis first (a symbolic size, or a fixed one, which it must then be given) and
    /// fixed sizes after it. The graph is run once on zeros, in evaluation mode, to check that it runs and to learn
    /// its output's shape, which must start with the batch axis too (for inputs of more than 2²² elements the
    /// declared output shape is taken instead, and must be complete after the batch axis).
    /// </remarks>
    /// <exception cref="InvalidDataException">The graph uses what Neurite does not run, or its inputs or output have no batch axis.</exception>
    public static LoadedModel Import(OnnxModel model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        var module = new OnnxGraphModule(model, source, new Generator(0));
        var initialized = model.Graph.Initializers.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Inputs.Where(input => !initialized.Contains(input.Name)).ToList();
        long? batch = null;
        var samples = new List<int[]>();
        foreach (var input in inputs)
        {
            if (input.Shape is not { Count: > 1 } shape || shape.Skip(1).Any(dim => dim.Value is not (>= 1 and <= int.MaxValue)))
            {
                throw new InvalidDataException(OneLine.Escape(
                    $"{source}: the input '{input.Name}' is {input.DescribeType()}; Neurite needs a batch axis first and the size of every axis after it (at least one)."));
            }
            if (shape[0].Value is { } fixedBatch)
            {
                batch = fixedBatch is < 1 or > int.MaxValue ? throw new InvalidDataException(OneLine.Escape($"{source}: the input '{input.Name}' has a fixed batch of {fixedBatch}."))
                    : batch is null || batch == fixedBatch ? fixedBatch
                    : throw new InvalidDataException(OneLine.Escape($"{source}: the inputs have fixed batch sizes {batch} and {fixedBatch}."));
            }
            samples.Add([.. shape.Skip(1).Select(dim => (int)dim.Value!.Value)]);
            if (Shapes.CountOf(samples[^1], "ONNX input") > Array.MaxLength)
            {
                throw new InvalidDataException(OneLine.Escape($"{source}: a sample of the input '{input.Name}', {Shapes.Format(samples[^1])}, has more elements than a tensor can hold."));
            }
        }
        int rows = (int)(batch ?? 2);
        var declared = model.Graph.Outputs[0];
        var batchDim = batch is { } n ? new OnnxDim(n, null) : declared.Shape is [{ Param: { } param }, ..] ? new OnnxDim(null, param) : new OnnxDim(null, BatchAxis);
        List<OnnxValueInfo> recorded;
        if (rows * samples.Sum(sample => Shapes.CountOf(sample, "ONNX input")) <= DryRunElements)
        {
            OnnxValue[] outputs;
            module.Eval();
            using (Graph.NoGrad())
            {
                outputs = module.Run([.. inputs.Select((input, i) => Zeros(input.ElementType, [rows, .. samples[i]]))]);
            }
            module.Train();
            if (outputs[0].Rank == 0 || outputs[0].Shape[0] != rows)
            {
                throw new InvalidDataException(OneLine.Escape(
                    $"{source}: the output '{declared.Name}' is {Shapes.Format(outputs[0].Shape)} for a batch of {rows}; Neurite needs the batch axis first."));
            }
            // The outputs as they came out: their element types, and the first one's shape per sample.
            recorded = [.. model.Graph.Outputs.Select((output, i) => new OnnxValueInfo
            {
                Name = output.Name,
                ElementType = outputs[i].Type,
                Shape = i == 0 ? [batchDim, .. outputs[0].Shape.Skip(1).Select(size => (OnnxDim)size)] : output.Shape,
            })];
        }
        else if (declared.Shape is { Count: > 0 } shape && shape.Skip(1).All(dim => dim.Value is >= 0 and <= int.MaxValue)
            && model.Graph.Outputs.All(output => OnnxValue.Holds(output.ElementType)))
        {
            recorded = [new OnnxValueInfo { Name = declared.Name, ElementType = declared.ElementType, Shape = [batchDim, .. shape.Skip(1)] }, .. model.Graph.Outputs.Skip(1)];
        }
        else
        {
            throw new InvalidDataException(OneLine.Escape(
                $"{source}: the output '{declared.Name}' is {declared.DescribeType()}; Neurite needs its element type and the size of every axis after the batch axis (or inputs small enough to run the graph once to learn them)."));
        }
        var layer = new OnnxSpec(new OnnxModel
        {
            IrVersion = model.IrVersion,
            Opsets = model.Opsets,
            Graph = new OnnxGraph
            {
                Nodes = model.Graph.Nodes,
                Initializers = model.Graph.Initializers,
                Inputs = inputs,
                Outputs = recorded,
            },
        });
        var metadata = model.Metadata.ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
        if (inputs.Count == 1)
        {
            return new LoadedModel(new ModelSpec(samples[0], [layer]), new Sequential(module), metadata);
        }
        string[] names = [.. inputs.Select(input => input.Name)];
        string node = names.Contains("onnx") ? "onnx_graph" : "onnx";
        var spec = new ModelSpec(new GraphSpec([.. names.Select((name, i) => new GraphInput(name, samples[i]))], [new NodeSpec(node, layer, names)], node));
        return new LoadedModel(spec, new GraphModule(names, [new GraphNode(node, module, names)], node), metadata);
    }

    /// <summary>(input − shift)/divisor, the statistics per feature shaped as a sample (or one for all), as <see cref="Data.Preprocessor"/> applies them.</summary>
    private static string Scale(OnnxExporter exporter, IPreprocessor scaling, IReadOnlyList<GraphInput> inputs)
    {
        var (shift, divisor) = scaling switch
        {
            Standardize standardize => (standardize.Mean, standardize.Std),
            MinMaxScale minMax => (minMax.Min, minMax.Range),
            _ => throw new NotSupportedException($"ONNX export: the input scaling {scaling.GetType().Name} has no ONNX form."),
        };
        var sample = inputs[0].Shape;
        long features = sample.Aggregate(1L, (a, b) => a * b);
        if (inputs.Count != 1 || (shift.Count != 1 && shift.Count != features))
        {
            throw new ArgumentException($"ONNX export: the input scaling has {shift.Count} statistics, which do not fit the model's input(s) {string.Join(", ", inputs.Select(input => Shapes.Format([.. input.Shape])))}.");
        }
        IReadOnlyList<long>? dims = shift.Count == 1 ? null : [.. sample.Select(size => (long)size)];
        string centered = exporter.Node("Sub", [inputs[0].Name, exporter.Constant([.. shift], dims)]);
        return exporter.Node("Div", [centered, exporter.Constant([.. divisor], dims)]);
    }

    private static OnnxValue Zeros(OnnxDataType type, int[] shape) =>
        type == OnnxDataType.Float ? OnnxValue.Of(Tensor.Zeros(shape)) : OnnxValue.Of(type, new long[Shapes.CheckedCount(shape, "ONNX input")], shape);

    /// <summary>
    /// The element type of the graph input <paramref name="name"/>: the one its layers take (<see cref="LayerSpec.OnnxInputType"/>),
    /// int64 ids when every layer it feeds is an embedding; float32 when they differ or take floats.
    /// </summary>
    private static OnnxDataType InputType(string name, IReadOnlyList<(string Name, LayerSpec Layer, LayerContext Context, int[] Shape)> nodes)
    {
        var taken = nodes.SelectMany(node => node.Context.InputNames.Select((input, k) => (input, k))
            .Where(pair => pair.input == name).Select(pair => node.Layer.OnnxInputType(pair.k))).Distinct().ToList();
        return taken is [var type] ? type : OnnxDataType.Float;
    }

    private static OnnxValueInfo ValueInfo(string name, IReadOnlyList<int> sample, OnnxDataType type) => new()
    {
        Name = name,
        ElementType = type,
        Shape = [BatchAxis, .. sample.Select(size => (OnnxDim)size)],
    };
}
