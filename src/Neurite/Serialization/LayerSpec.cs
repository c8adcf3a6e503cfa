using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// One layer of a spec (an entry of <c>layers</c>, or a node of a graph): a layer type (lower snake
/// case) and its options. Shapes are per sample, without the batch axis; axis options count the
/// batch axis as PyTorch's do.
/// </summary>
/// <remarks>
/// <para>A layer type lives in one file (see <c>Serialization/Layers/</c>): a record deriving from
/// this one, which infers its output shape (<see cref="OutputShape"/>), builds its module
/// (<see cref="Build"/>) and writes its fields back (<see cref="WriteFields"/>), and a
/// <see cref="LayerType"/> that names it, lists its fields and parses them, registered once with
/// <see cref="LayerRegistry.Register"/>. Parameter counts come from the built module, so they cannot
/// disagree with it. A layer type that has an ONNX form writes it in <see cref="ToOnnx"/>, in the same file.</para>
/// </remarks>
/// <example>
/// A <c>scale</c> layer, y = x ⊙ w with w learnable (its module, <c>ScaleModule</c>, registers "weight"):
/// <code>
/// public sealed record ScaleSpec(double Factor = 1) : LayerSpec
/// {
///     public static LayerType Definition { get; } =
///         new("scale", ["factor"], f => new ScaleSpec(f.Number("factor", 1, v => v != 0, "a non-zero number")));
///
///     public override string Type => "scale";
///
///     public override Module Build(LayerContext context, Generator rng) => new ScaleModule(context.Input[^1], (float)Factor);
///
///     public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("factor", Factor);
/// }
///
/// LayerRegistry.Register(ScaleSpec.Definition); // once; then {"type": "scale", "factor": 2} parses, builds and summarizes
/// </code>
/// </example>
public abstract record LayerSpec
{
    /// <summary>The layer types a spec may name, in the order error messages list them (<see cref="LayerRegistry.Names"/>).</summary>
    public static IReadOnlyList<string> Types => LayerRegistry.Names;

    /// <summary>The type name as the spec writes it, e.g. "linear".</summary>
    public abstract string Type { get; }

    /// <summary>The fewest inputs the layer takes: 1, or 2 for a merge such as concat.</summary>
    public virtual int MinInputs => 1;

    /// <summary>The most inputs the layer takes: 1, or <see cref="int.MaxValue"/> for a merge.</summary>
    public virtual int MaxInputs => 1;

    /// <summary>
    /// The output shape of one sample given the input shapes in <paramref name="context"/> (by default
    /// the input's shape). An impossible input throws <see cref="LayerContext.Error(string)"/>.
    /// </summary>
    /// <exception cref="ModelSpecException">The layer cannot take these inputs.</exception>
    public virtual int[] OutputShape(LayerContext context) => context.Input;

    /// <summary>
    /// The multiply–accumulates of one sample's forward pass in evaluation mode, for inputs that
    /// <see cref="OutputShape"/> accepted, as summaries report them (torchinfo's "mult-adds"; a dot
    /// product of n terms counts n). 0 by default, for layers that multiply nothing they add up
    /// (activations, reshapes, dropout, merges).
    /// </summary>
    public virtual long MultiplyAccumulates(LayerContext context) => 0;

    /// <summary>The module, for inputs that <see cref="OutputShape"/> accepted; its weights are drawn from <paramref name="rng"/>.</summary>
    public abstract Module Build(LayerContext context, Generator rng);

    /// <summary>Writes the fields after "type", every option explicit, so that parsing them gives this spec again.</summary>
    public virtual void WriteFields(Utf8JsonWriter json)
    {
    }

    /// <summary>
    /// Writes the layer's ONNX form for evaluation (dropout off, batch norm on its running statistics): adds its
    /// nodes and weights to <paramref name="onnx"/>, taking the values named <paramref name="inputs"/>, and returns
    /// the name of its output value. <paramref name="context"/> has the input shapes of one sample; the weights are
    /// the built module's (<see cref="OnnxExporter.Weight"/>). Only operators of ONNX's default domain at
    /// <see cref="OnnxExporter.Opset"/>, composed where ONNX has no single one, so that the graph computes what
    /// the module does. By default a layer type has no ONNX form and export refuses it, naming it.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer type, or this configuration of it, has no exact ONNX form.</exception>
    public virtual string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) => throw onnx.NoForm(this);

    /// <summary>
    /// The element type the layer takes as its input <paramref name="input"/> when that is a graph input of an exported
    /// model: float32, or int64 ids (embedding). A graph input all of whose layers take one integer type has it.
    /// </summary>
    internal virtual OnnxDataType OnnxInputType(int input) => OnnxDataType.Float;

    /// <summary>
    /// A lower bound of the values (parameters and buffers) the layer's module holds, counted from its fields and
    /// input shapes without building it, so that a file too small for a huge spec is refused before anything is
    /// allocated; 0 by default.
    /// </summary>
    internal virtual long MinimumParameters(LayerContext context) => 0;

    /// <summary>A one-line description, the type and its options: <c>linear(out=16, bias=true)</c>.</summary>
    public virtual string Describe()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            WriteFields(json);
            json.WriteEndObject();
        }
        using var fields = JsonDocument.Parse(stream.ToArray());
        var options = fields.RootElement.EnumerateObject().Select(field => $"{field.Name}={field.Value.GetRawText()}").ToList();
        return options.Count == 0 ? Type : $"{Type}({string.Join(", ", options)})";
    }

    internal void Write(Utf8JsonWriter json, string? name = null, IReadOnlyList<string>? inputs = null)
    {
        json.WriteStartObject();
        if (name is not null)
        {
            json.WriteString("name", name);
        }
        json.WriteString("type", Type);
        WriteFields(json);
        if (inputs is not null)
        {
            json.WriteStartArray("inputs");
            foreach (string input in inputs)
            {
                json.WriteStringValue(input);
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    internal static void WriteList(Utf8JsonWriter json, string property, IReadOnlyList<LayerSpec> layers)
    {
        json.WriteStartArray(property);
        foreach (var layer in layers)
        {
            layer.Write(json);
        }
        json.WriteEndArray();
    }

    internal static IReadOnlyList<LayerSpec> ParseList(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw reader.Error(path, $"expected a non-empty list of layers, got {SpecReader.Show(element)}");
        }
        return [.. element.EnumerateArray().Select((layer, i) => LayerRegistry.Parse(reader, layer, $"{path}[{i}]", []))];
    }

    /// <summary>The shapes through a chain of layers (each taking the previous one's output), checking each: per layer its context and output shape.</summary>
    internal static (LayerContext Context, int[] Output)[] Chain(IReadOnlyList<LayerSpec> layers, int[] input, string path, SpecReader reader)
    {
        var chain = new (LayerContext, int[])[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var context = new LayerContext(reader, $"{path}[{i}]", [input], [i == 0 ? "input" : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            input = context.Infer(layers[i]);
            chain[i] = (context, input);
        }
        return chain;
    }
}

/// <summary>
/// Where a layer sits in a spec: the shapes of its inputs (one sample each, without the batch axis),
/// their names, and the layer's JSON path, which its errors name.
/// </summary>
public sealed class LayerContext
{
    private readonly SpecReader _reader;

    private readonly string _inputsPath;
    private Dictionary<string, (LayerContext Context, int[] Output)[]>? _blocks;

    internal LayerContext(SpecReader reader, string path, IReadOnlyList<int[]> inputs, IReadOnlyList<string> inputNames, string? inputsPath = null)
    {
        _reader = reader;
        Path = path;
        _inputsPath = inputsPath ?? path;
        Inputs = inputs;
        InputNames = inputNames;
    }

    /// <summary>The JSON path of the layer, e.g. <c>layers[3]</c> or <c>nodes[2]</c>.</summary>
    public string Path { get; }

    /// <summary>The shape of each input, in order.</summary>
    public IReadOnlyList<int[]> Inputs { get; }

    /// <summary>The shape of the first (for most layers the only) input.</summary>
    public int[] Input => Inputs[0];

    /// <summary>The name of each input: "input" or a node's name (a chain's layers are named "0", "1", …).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Where the layer is, as errors name it: "FILE: layers[3]", or "layers[3]" for a spec not read from a file.</summary>
    internal string Location => _reader.Source is { } source ? $"{source}: {Path}" : Path;

    /// <summary>An error about the layer as a whole, to throw: "path: detail".</summary>
    public ModelSpecException Error(string detail) => _reader.Error(Path, detail);

    /// <summary>An error about one of the layer's fields, to throw: "path.field: detail".</summary>
    public ModelSpecException Error(string field, string detail) => _reader.Error(SpecReader.Child(Path, field), detail);

    /// <summary>The input, when it is a sequence [steps, features] per sample; otherwise the error "<paramref name="type"/> takes a sequence …, got [shape]".</summary>
    /// <exception cref="ModelSpecException">The input has no time axis, or more axes.</exception>
    public int[] SequenceInput(string type) => Input.Length == 2
        ? Input
        : throw Error($"{type} takes a sequence [steps, features] per sample, got {Shapes.Format(Input)}");

    /// <summary>An error about the inputs, to throw: at the node's "inputs" in a graph, at the layer in a chain.</summary>
    public ModelSpecException InputsError(string detail) => _reader.Error(_inputsPath, detail);

    /// <summary>The inputs as error messages show them: "[16] (h), [2] (input)".</summary>
    public string DescribeInputs() =>
        string.Join(", ", Inputs.Select((shape, i) => $"{Shapes.Format(shape)} ({InputNames[i]})"));

    /// <summary>
    /// The layers of a block (the field <paramref name="field"/>, such as residual's "layers") as a chain
    /// from this layer's input: each inner layer's context and output shape, inferred on the first call
    /// (shape inference) and kept for the next (building).
    /// </summary>
    internal (LayerContext Context, int[] Output)[] Block(string field, IReadOnlyList<LayerSpec> layers)
    {
        _blocks ??= [];
        if (!_blocks.TryGetValue(field, out var chain))
        {
            chain = LayerSpec.Chain(layers, Input, SpecReader.Child(Path, field), _reader);
            _blocks[field] = chain;
        }
        return chain;
    }

    /// <summary>Checks the number of inputs and the layer's output shape, and that a sample of it fits in a tensor.</summary>
    internal int[] Infer(LayerSpec layer)
    {
        if (Inputs.Count < layer.MinInputs || Inputs.Count > layer.MaxInputs)
        {
            string takes = layer.MaxInputs == int.MaxValue ? $"{layer.MinInputs} or more inputs"
                : layer.MinInputs == layer.MaxInputs ? (layer.MinInputs == 1 ? "one input" : $"{layer.MinInputs} inputs")
                : $"{layer.MinInputs} to {layer.MaxInputs} inputs";
            throw InputsError($"{layer.Type} takes {takes}, got {Inputs.Count}");
        }
        var output = layer.OutputShape(this);
        if (output.Aggregate(1L, (count, size) => Math.Min(count * size, long.MaxValue / 2)) > Array.MaxLength)
        {
            throw Error($"the output of one sample, {Shapes.Format(output)}, has more elements than a tensor can hold ({Array.MaxLength})");
        }
        return output;
    }

}
