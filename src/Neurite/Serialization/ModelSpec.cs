using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// A model and, optionally, how to train it, as the JSON spec of DESIGN.md describes it. Parsing
/// validates every field (its type, range and that it is known) and the shapes through the whole
/// network, so that a spec that parses builds; every error names the JSON path of the field.
/// </summary>
/// <remarks>
/// <para>Fields: <c>input</c> (required: the shape of one sample, e.g. [784]), <c>layers</c>
/// (required, non-empty: see <see cref="LayerSpec"/>), and optionally <c>loss</c>
/// (<see cref="LossSpec"/>), <c>optimizer</c> (<see cref="OptimizerSpec"/>), <c>schedule</c>
/// (<see cref="ScheduleSpec"/>), <c>batch_size</c>, <c>epochs</c> (positive integers), <c>seed</c> (a
/// non-negative integer), <c>data</c> (<see cref="DataSpec"/>), <c>l1</c>, <c>l2</c> (penalties ≥ 0),
/// <c>clip_grad_norm</c> (&gt; 0) and <c>early_stopping</c> (<see cref="EarlyStoppingSpec"/>).</para>
/// <para><see cref="ToJson"/> writes the spec back with every layer option explicit, so that
/// <c>Parse(spec.ToJson())</c> equals the spec.</para>
/// </remarks>
/// <param name="Input">The shape of one sample, without the batch axis.</param>
/// <param name="Layers">The layers, in order; a Sequential names them "0", "1", ….</param>
public sealed record ModelSpec(IReadOnlyList<int> Input, IReadOnlyList<LayerSpec> Layers)
{
    private static readonly string[] Known =
        ["input", "layers", "loss", "optimizer", "schedule", "batch_size", "epochs", "seed", "data", "l1", "l2", "clip_grad_norm", "early_stopping"];

    private static readonly JsonDocumentOptions ParseOptions = new() { CommentHandling = JsonCommentHandling.Skip };

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

    /// <summary>Parses and validates spec JSON; errors name <paramref name="source"/> (a file name) when given, and the JSON path.</summary>
    /// <exception cref="ModelSpecException">The JSON is malformed or the spec is invalid.</exception>
    public static ModelSpec Parse(string json, string? source = null)
    {
        var reader = new SpecReader(source);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, ParseOptions);
        }
        catch (JsonException e)
        {
            throw reader.Error("", $"not valid JSON: {e.Message}");
        }
        using (document)
        {
            return Parse(reader, document.RootElement);
        }
    }

    /// <summary>Reads, parses and validates the spec file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ModelSpecException">The spec is invalid; the message starts with the path.</exception>
    public static ModelSpec Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        return Parse(File.ReadAllText(path), path);
    }

    private static ModelSpec Parse(SpecReader reader, JsonElement root)
    {
        var f = reader.Object(root, "", "a model spec", Known);
        var input = reader.IntList(f.Required("input", "the shape of one sample, e.g. [784]"), "input", 1, "the shape of one sample, a list of positive integers such as [784]");
        if (input.Length == 0)
        {
            throw reader.Error("input", "expected the shape of one sample, a list of positive integers such as [784], got []");
        }
        if (input.Aggregate(1L, (count, size) => Math.Min(count * size, long.MaxValue / 2)) > Array.MaxLength)
        {
            throw reader.Error("input", $"a sample of shape {Shapes.Format(input)} has more elements than a tensor can hold ({Array.MaxLength})");
        }
        var layers = LayerSpec.ParseList(reader, f.Required("layers", "a non-empty list of layers"), "layers");
        var spec = new ModelSpec(input, layers)
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
        };
        spec.CheckShapes(reader);
        return spec;
    }

    /// <summary>The shapes through the network and the loss's needs; throws naming the first impossible layer.</summary>
    private int[][] CheckShapes(SpecReader reader)
    {
        var shapes = InferShapes(Layers, [.. Input], "layers", reader);
        var output = shapes[^1];
        if (Loss is { TakesClassIndices: true } && output.Length != 1)
        {
            throw reader.Error("loss", $"{Loss.Type} needs class scores [C] per sample, but the network outputs {Shapes.Format(output)}");
        }
        return shapes;
    }

    /// <summary>The output shape of each layer for one sample, checking each layer against its input.</summary>
    internal static int[][] InferShapes(IReadOnlyList<LayerSpec> layers, int[] input, string path, SpecReader reader)
    {
        var shapes = new int[layers.Count][];
        for (int i = 0; i < layers.Count; i++)
        {
            input = shapes[i] = layers[i].OutputShape(input, $"{path}[{i}]", reader);
            if (input.Aggregate(1L, (count, size) => Math.Min(count * size, long.MaxValue / 2)) > Array.MaxLength)
            {
                throw reader.Error($"{path}[{i}]", $"the output of one sample, {Shapes.Format(input)}, has more elements than a tensor can hold ({Array.MaxLength})");
            }
        }
        return shapes;
    }

    /// <summary>The output shape of every layer for one sample (without the batch axis).</summary>
    /// <exception cref="ModelSpecException">A layer cannot take its input (a spec built in code; parsed specs have been checked).</exception>
    public IReadOnlyList<int[]> OutputShapes() => CheckShapes(new SpecReader(null));

    internal static Sequential BuildLayers(IReadOnlyList<LayerSpec> layers, int[] input, Generator rng)
    {
        var modules = new Module[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            modules[i] = layers[i].Build(input, rng);
            input = layers[i].OutputShape(input, "", new SpecReader(null));
        }
        return new Sequential(modules);
    }

    /// <summary>
    /// Builds the network, its weights initialized from <paramref name="rng"/>, or from a generator
    /// seeded with <see cref="Seed"/> (0 when absent): the same spec and seed give the same weights.
    /// </summary>
    /// <remarks>
    /// Dropout layers draw their masks from the same generator once the weights are drawn;
    /// <see cref="Training.Trainer"/> reseeds it every epoch from its seed and the epoch, so that a
    /// run resumed from a checkpoint draws the same masks as an uninterrupted one.
    /// </remarks>
    /// <exception cref="ModelSpecException">A layer cannot take its input.</exception>
    public Sequential Build(Generator? rng = null)
    {
        OutputShapes();
        return BuildLayers(Layers, [.. Input], rng ?? new Generator(Seed ?? 0));
    }

    /// <summary>Each layer's name, type, output shape (batch axis −1) and parameter count, and the totals.</summary>
    public ModelSummary Summarize()
    {
        var shapes = OutputShapes();
        var rows = new List<LayerSummary>();
        int[] input = [.. Input];
        for (int i = 0; i < Layers.Count; i++)
        {
            rows.Add(new LayerSummary(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Layers[i].Type, [-1, .. shapes[i]], Layers[i].ParameterCount(input)));
            input = shapes[i];
        }
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
            json.WriteStartArray("input");
            foreach (int size in Input)
            {
                json.WriteNumberValue(size);
            }
            json.WriteEndArray();
            json.WriteStartArray("layers");
            foreach (var layer in Layers)
            {
                layer.Write(json);
            }
            json.WriteEndArray();
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
public sealed record LayerSummary(string Name, string Type, IReadOnlyList<int> OutputShape, long Params);

/// <summary>A Keras-like summary of a model: its layers, their output shapes and parameter counts, and the totals.</summary>
/// <param name="InputShape">The input shape with the batch axis first, as −1.</param>
/// <param name="Layers">One row per layer of the spec (a residual block is one row with its inner parameters).</param>
/// <param name="TotalParams">All learnable values (parameters, as PyTorch counts them; buffers such as running means excluded).</param>
/// <param name="TrainableParams">The learnable values training updates (all of them: nothing is frozen).</param>
public sealed record ModelSummary(IReadOnlyList<int> InputShape, IReadOnlyList<LayerSummary> Layers, long TotalParams, long TrainableParams)
{
    /// <summary>
    /// {"total_params", "trainable_params", "layers": [{"name", "type", "output_shape", "params"}]}, the
    /// batch axis of each output shape written as null.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("total_params", TotalParams);
            json.WriteNumber("trainable_params", TrainableParams);
            json.WriteStartArray("layers");
            foreach (var layer in Layers)
            {
                json.WriteStartObject();
                json.WriteString("name", layer.Name);
                json.WriteString("type", layer.Type);
                json.WriteStartArray("output_shape");
                json.WriteNullValue();
                foreach (int size in layer.OutputShape.Skip(1))
                {
                    json.WriteNumberValue(size);
                }
                json.WriteEndArray();
                json.WriteNumber("params", layer.Params);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
