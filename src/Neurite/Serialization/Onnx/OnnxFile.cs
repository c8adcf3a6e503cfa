using Neurite.IO;
using Neurite.NN;

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

    /// <summary>
    /// The ONNX model of <paramref name="module"/> (built from <paramref name="spec"/>) in evaluation mode: one
    /// float32 input per model input (a chain's and a one-input graph's is named <c>input</c>), of shape
    /// [batch, *the sample's shape], and one output named <c>output</c>, [batch, *the output's shape]; the batch
    /// axis is symbolic. Weights are initializers named as in the state dict (<c>0.weight</c>). Graph nodes the
    /// output does not use are left out.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no exact ONNX form; the message names its path and type.</exception>
    /// <exception cref="ArgumentException">The module was not built from the spec.</exception>
    public static OnnxModel Export(Module module, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(spec);
        var (inputs, nodes, output) = spec.Network();
        var exporter = new OnnxExporter(module, inputs.Select(input => input.Name));
        var values = inputs.ToDictionary(input => input.Name, input => input.Name, StringComparer.Ordinal);
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
                Inputs = [.. inputs.Select(input => ValueInfo(input.Name, input.Shape))],
                Outputs = [ValueInfo(outputName, outputShape)],
            },
        };
    }

    /// <summary>
    /// Writes <see cref="Export"/>'s model to <paramref name="path"/>, atomically: an existing file is replaced only
    /// by a complete one. Returns the model written.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no exact ONNX form (nothing is written).</exception>
    public static OnnxModel Save(string path, Module module, ModelSpec spec)
    {
        var model = Export(module, spec);
        var bytes = model.ToBytes();
        AtomicFile.Write(path, stream => stream.Write(bytes));
        return model;
    }

    private static OnnxValueInfo ValueInfo(string name, IReadOnlyList<int> sample) => new()
    {
        Name = name,
        ElementType = OnnxDataType.Float,
        Shape = [BatchAxis, .. sample.Select(size => (OnnxDim)size)],
    };
}
