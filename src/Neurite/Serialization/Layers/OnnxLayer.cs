using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>onnx</c>: an imported ONNX graph (<see cref="OnnxFile.Load"/>) as a layer, run by <see cref="OnnxGraphModule"/>.
/// Fields: opset, inputs and outputs (name, dtype, shape with the batch axis first), weights (the float initializers'
/// names and shapes; their values are the module's state, saved in the model file), constants (the other
/// initializers, with their values) and nodes (op, name, inputs, outputs, attributes), as ONNX has them.
/// </summary>
/// <remarks>
/// The graph stays ONNX's rather than being translated into other layer types: every operator keeps its exact
/// meaning (opset included), and the layer composes with the others, so an imported network can take a new head
/// in a spec. The per-sample input shape is the graph input's without its first (batch) axis, and so is the output's.
/// </remarks>
public sealed record OnnxSpec : LayerSpec
{
    /// <param name="model">The model; the values of its float initializers are not kept (they are the module's weights).</param>
    /// <exception cref="InvalidDataException">The graph uses what Neurite does not run.</exception>
    public OnnxSpec(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long opset = OnnxGraphModule.Plan(model, detail => new InvalidDataException($"onnx: {detail}.")).Opset;
        var initialized = model.Graph.Initializers.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        Model = new OnnxModel
        {
            IrVersion = model.IrVersion,
            Opsets = [new OnnxOpset("", opset)],
            Graph = new OnnxGraph
            {
                Nodes = model.Graph.Nodes,
                Inputs = [.. model.Graph.Inputs.Where(input => !initialized.Contains(input.Name))],
                Outputs = model.Graph.Outputs,
                Initializers = [.. model.Graph.Initializers.Select(tensor => tensor.DataType == OnnxDataType.Float
                    ? new OnnxTensor { Name = tensor.Name, Dims = tensor.Dims, DataType = OnnxDataType.Float }
                    : tensor)],
            },
        };
    }

    internal static LayerType Definition { get; } = new("onnx", OnnxJson.Fields, f =>
    {
        var model = OnnxJson.Read(f);
        OnnxGraphModule.Plan(model, detail => f.Reader.Error(f.Path, detail));
        return new OnnxSpec(model);
    });

    /// <summary>The graph, its float initializers without values.</summary>
    public OnnxModel Model { get; }

    public override string Type => "onnx";

    public override int MinInputs => Model.Graph.Inputs.Count;

    public override int MaxInputs => Model.Graph.Inputs.Count;

    /// <summary>Each input's sample shape must be its graph input's after the batch axis; the output's per sample is the first graph output's after it.</summary>
    public override int[] OutputShape(LayerContext context)
    {
        for (int i = 0; i < context.Inputs.Count; i++)
        {
            var declared = Model.Graph.Inputs[i];
            var given = context.Inputs[i];
            if (declared.Shape is not { } shape || shape.Count != given.Length + 1
                || Enumerable.Range(0, given.Length).Any(axis => shape[axis + 1].Value is { } size && size != given[axis]))
            {
                throw context.InputsError($"the graph input '{declared.Name}' is {declared.DescribeType()}, which does not take samples of {Shapes.Format(given)} ({context.DescribeInputs()})");
            }
        }
        var output = Model.Graph.Outputs[0];
        if (output.Shape is not { Count: > 0 } dims || dims.Skip(1).Any(dim => dim.Value is not (>= 0 and <= int.MaxValue)))
        {
            throw context.Error("outputs", $"the graph output '{output.Name}' is {output.DescribeType()}; a layer needs the size of every axis after the batch axis");
        }
        return [.. dims.Skip(1).Select(dim => (int)dim.Value!.Value)];
    }

    /// <summary>The graph's module; its errors name the spec's file and the layer's path.</summary>
    public override Module Build(LayerContext context, Generator rng) => new OnnxGraphModule(Model, context.Location, rng);

    public override void WriteFields(Utf8JsonWriter json) => OnnxJson.Write(json, Model);

    /// <summary>onnx(opset 17, 20 nodes: Mul×4, Gemm×3, Constant×3, …).</summary>
    public override string Describe()
    {
        var counts = Model.Graph.Nodes.GroupBy(node => node.OpType).OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal).ToList();
        string ops = string.Join(", ", counts.Take(4).Select(group => $"{group.Key}×{group.Count()}")) + (counts.Count > 4 ? ", …" : "");
        return $"onnx(opset {Model.OpsetVersion()}, {Model.Graph.Nodes.Count} nodes{(ops.Length > 0 ? ": " + ops : "")})";
    }

    /// <summary>The graph's own nodes again, its values renamed under the layer's scope, its weights as the module holds them now; only at opset 17.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        long opset = Model.OpsetVersion();
        if (opset != OnnxExporter.Opset)
        {
            throw onnx.NoForm(this, $"the imported graph is opset {opset}; export writes opset {OnnxExporter.Opset}, and Neurite does not convert operators between opsets");
        }
        var graph = Model.Graph;
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [""] = "" };
        for (int i = 0; i < inputs.Count; i++)
        {
            var type = graph.Inputs[i].ElementType;
            names[graph.Inputs[i].Name] = type == onnx.TypeOf(inputs[i]) ? inputs[i] : onnx.Node("Cast", [inputs[i]], OnnxAttribute.Of("to", (long)type));
        }
        var stateNames = OnnxGraphModule.StateNames(graph.Initializers.Where(tensor => tensor.DataType == OnnxDataType.Float).Select(tensor => tensor.Name));
        foreach (var tensor in graph.Initializers)
        {
            names[tensor.Name] = tensor.DataType == OnnxDataType.Float ? onnx.Weight(stateNames[tensor.Name]) : onnx.Constant(tensor);
        }
        foreach (var node in graph.Nodes)
        {
            var outputs = onnx.Node(node.OpType, [.. node.Inputs.Select(input => names[input])], node.Outputs.Count, [.. node.Attributes]);
            for (int k = 0; k < outputs.Length; k++)
            {
                names[node.Outputs[k]] = outputs[k];
            }
        }
        return names[graph.Outputs[0].Name];
    }

    /// <summary>The element type of the graph's data input <paramref name="input"/>.</summary>
    internal override OnnxDataType OnnxInputType(int input) => Model.Graph.Inputs[input].ElementType;

    /// <summary>Every weight's elements.</summary>
    internal override long MinimumParameters(LayerContext context) =>
        Model.Graph.Initializers.Where(tensor => tensor.DataType == OnnxDataType.Float).Sum(tensor => Math.Min(tensor.Count, Array.MaxLength));

    public bool Equals(OnnxSpec? other) => other is not null && Describe() == other.Describe() && Json() == other.Json();

    public override int GetHashCode() => Model.Graph.Nodes.Count;

    private string Json()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            WriteFields(json);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
