using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neurite.Serialization;

/// <summary>
/// A layer type as a spec names it: its name, the fields it takes (besides "type") and how to read a
/// <see cref="LayerSpec"/> from them. Register it once with <see cref="LayerRegistry.Register"/>.
/// </summary>
/// <param name="Name">The type name, lower snake case, e.g. "linear".</param>
/// <param name="Fields">The fields the type takes besides "type", in the order error messages list them.</param>
/// <param name="Parse">Reads and validates the fields (errors through <see cref="LayerFields"/> name their JSON path).</param>
public sealed record LayerType(string Name, IReadOnlyList<string> Fields, Func<LayerFields, LayerSpec> Parse);

/// <summary>
/// Every layer type a spec may name: the built-in ones, then those registered by the program.
/// Parsing looks the type up here, and <see cref="LayerSpec.Types"/> and error messages list these names.
/// </summary>
public static class LayerRegistry
{
    /// <summary>Fields a graph node has besides its layer's, which no layer type may take.</summary>
    internal static readonly string[] NodeFields = ["name", "inputs"];

    private static readonly Lock Gate = new();

    private static readonly List<LayerType> Registered =
    [
        LinearSpec.Definition,
        SimpleLayerSpec.Definition("relu"),
        SimpleLayerSpec.Definition("sigmoid"),
        SimpleLayerSpec.Definition("tanh"),
        SimpleLayerSpec.Definition("step"),
        LeakyReluSpec.Definition,
        EluSpec.Definition,
        GeluSpec.Definition,
        SimpleLayerSpec.Definition("silu"),
        SoftplusSpec.Definition,
        SoftmaxSpec.Definition,
        SoftmaxSpec.LogDefinition,
        SimpleLayerSpec.Definition("identity"),
        FlattenSpec.Definition,
        DropoutSpec.Definition,
        BatchNormSpec.Definition,
        LayerNormSpec.Definition,
        ResidualSpec.Definition,
        ConcatSpec.Definition,
        AddSpec.Definition,
        EmbeddingSpec.Definition,
        RecurrentSpec.Definition("rnn"),
        RecurrentSpec.Definition("lstm"),
        RecurrentSpec.Definition("gru"),
        MeanPoolSpec.Definition,
        LastStepSpec.Definition,
        RepeatSpec.Definition,
        MultiheadAttentionSpec.Definition,
        TransformerEncoderLayerSpec.Definition,
        PositionalEncodingSpec.Definition,
        Dropout2dSpec.Definition,
        Conv1dSpec.Definition,
        Conv2dSpec.Definition,
        ConvTranspose2dSpec.Definition,
        Pool2dSpec.MaxDefinition,
        Pool2dSpec.AverageDefinition,
        AdaptiveAvgPool2dSpec.Definition,
        UnflattenSpec.Definition,
        GaussianNoiseSpec.Definition,
        GaussianSampleSpec.Definition,
        RbmSpec.Definition,
        OnnxSpec.Definition,
    ];

    /// <summary>The registered type names, built-in ones first, in registration order.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
            {
                return [.. Registered.Select(type => type.Name)];
            }
        }
    }

    /// <summary>Adds a layer type, so that specs may name it.</summary>
    /// <exception cref="ArgumentException">The name is taken, not lower snake case, or a field is "type", "name" or "inputs".</exception>
    public static void Register(LayerType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.Name.Length == 0 || !type.Name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || !char.IsAsciiLetterLower(type.Name[0]))
        {
            throw new ArgumentException($"LayerRegistry: \"{type.Name}\" is not a lower snake case name.", nameof(type));
        }
        if (type.Fields.FirstOrDefault(field => field == "type" || NodeFields.Contains(field)) is { } reserved)
        {
            throw new ArgumentException($"LayerRegistry: {type.Name} cannot take a field \"{reserved}\"; type, name and inputs belong to every layer.", nameof(type));
        }
        lock (Gate)
        {
            if (Registered.Any(known => known.Name == type.Name))
            {
                throw new ArgumentException($"LayerRegistry: a layer type named \"{type.Name}\" is already registered.", nameof(type));
            }
            Registered.Add(type);
        }
    }

    /// <summary>The layer type named <paramref name="name"/>, or null.</summary>
    public static LayerType? Find(string name)
    {
        lock (Gate)
        {
            return Registered.Find(type => type.Name == name);
        }
    }

    /// <summary>
    /// The layer of type <paramref name="name"/> with every field at its default, as the spec
    /// <c>{"type": name}</c> reads: <c>Default("gelu")</c> is <c>new GeluSpec()</c>.
    /// </summary>
    /// <exception cref="ModelSpecException">No type has that name, or the type has a required field (linear's out).</exception>
    public static LayerSpec Default(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var document = JsonDocument.Parse(new JsonObject { ["type"] = name }.ToJsonString());
        return Parse(new SpecReader(null), document.RootElement, "layer", []);
    }

    /// <summary>Reads the layer at <paramref name="path"/>; <paramref name="extraFields"/> are fields the caller reads itself (a node's name and inputs).</summary>
    internal static LayerSpec Parse(SpecReader reader, JsonElement element, string path, IReadOnlyList<string> extraFields)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw reader.Error(path, $"expected a layer (a JSON object with a \"type\"), got {SpecReader.Show(element)}");
        }
        var names = Names;
        if (!element.TryGetProperty("type", out var typeElement))
        {
            throw reader.Error(SpecReader.Child(path, "type"), $"missing; expected a layer type, one of {string.Join(", ", names)}");
        }
        var type = Find(reader.Choice(typeElement, SpecReader.Child(path, "type"), "layer type", names))!;
        var fields = reader.Object(element, path, type.Name, [.. extraFields, "type", .. type.Fields]);
        return type.Parse(new LayerFields(fields, type.Name));
    }
}

/// <summary>
/// The fields of one layer in a spec, read by name with defaults and checks; every error names the
/// field's JSON path (<c>layers[3].out</c>) and is one line.
/// </summary>
public sealed class LayerFields
{
    internal LayerFields(SpecReader.Fields fields, string type)
    {
        Inner = fields;
        Type = type;
    }

    internal SpecReader.Fields Inner { get; }

    internal SpecReader Reader => Inner.Reader;

    /// <summary>The layer type being read, e.g. "linear".</summary>
    public string Type { get; }

    /// <summary>The JSON path of the layer, e.g. <c>layers[3]</c>.</summary>
    public string Path => Inner.Path;

    /// <summary>The JSON path of one of its fields, e.g. <c>layers[3].out</c>.</summary>
    public string PathOf(string name) => Inner.PathOf(name);

    /// <summary>Whether the spec gives the field.</summary>
    public bool Has(string name) => Inner.Has(name);

    /// <summary>An error about a field, to throw: "path.name: detail".</summary>
    public ModelSpecException Error(string name, string detail) => Reader.Error(PathOf(name), detail);

    /// <summary>An integer field ≥ <paramref name="min"/>, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min = 1) => Inner.Int(name, fallback, min);

    /// <summary>A required integer field ≥ <paramref name="min"/>.</summary>
    public int RequiredInt(string name, int min = 1) => Inner.RequiredInt(name, min);

    /// <summary>A required count (a positive integer), which may also be written "vocab": the vocabulary size of the data source the spec is read with.</summary>
    public int RequiredCount(string name) => Inner.RequiredCount(name);

    /// <summary>A number field that <paramref name="ok"/> accepts (described as <paramref name="what"/> in errors), or <paramref name="fallback"/>.</summary>
    public double Number(string name, double fallback, Func<double, bool> ok, string what) => Inner.Number(name, fallback, ok, what);

    /// <summary>A required number field that <paramref name="ok"/> accepts.</summary>
    public double RequiredNumber(string name, Func<double, bool> ok, string what) => Inner.RequiredNumber(name, ok, what);

    /// <summary>A true/false field, or <paramref name="fallback"/>.</summary>
    public bool Bool(string name, bool fallback) => Inner.Bool(name, fallback);

    /// <summary>A string field, one of <paramref name="allowed"/>, or <paramref name="fallback"/>.</summary>
    public string Choice(string name, string fallback, string what, IReadOnlyCollection<string> allowed) => Inner.Choice(name, fallback, what, allowed);

    /// <summary>
    /// A size per image axis, written as one integer ≥ <paramref name="min"/> for both (<c>3</c>) or as <c>[h, w]</c>, as
    /// PyTorch's int-or-tuple arguments; <paramref name="fallback"/> when absent.
    /// </summary>
    public (int H, int W) Pair(string name, (int H, int W) fallback, int min = 1) =>
        Inner.Optional(name) is { } element ? ReadPair(element, PathOf(name), min) : fallback;

    /// <summary>A required size per image axis (see <see cref="Pair"/>).</summary>
    public (int H, int W) RequiredPair(string name, int min = 1) =>
        ReadPair(Inner.Required(name, $"{SpecReader.IntDescription(min)} or [h, w]"), PathOf(name), min);

    /// <summary>
    /// A convolution's padding: an integer ≥ 0 or <c>[h, w]</c> (see <see cref="Pair"/>), or the string <c>"same"</c>
    /// (<see cref="ConvPadding.Same"/>); none when absent.
    /// </summary>
    public ConvPadding Padding(string name) => Inner.Optional(name) switch
    {
        null => ConvPadding.None,
        { ValueKind: JsonValueKind.String } element => element.GetString() == "same"
            ? ConvPadding.Same
            : throw Error(name, $"expected a non-negative integer, [h, w] or \"same\", got {SpecReader.Show(element)}"),
        { } element => ConvPadding.Explicit(ReadPair(element, PathOf(name), 0)),
    };

    private (int H, int W) ReadPair(JsonElement element, string path, int min)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            int[] values = Reader.IntList(element, path, min, $"{SpecReader.IntDescription(min)} or [h, w]");
            return values.Length == 2
                ? (values[0], values[1])
                : throw Reader.Error(path, $"expected two sizes [h, w], got {values.Length}");
        }
        int value = Reader.Int(element, path, min);
        return (value, value);
    }

    /// <summary>A required non-empty list of integers, each ≥ <paramref name="min"/>.</summary>
    public int[] RequiredIntList(string name, int min = 1)
    {
        string what = $"a non-empty list of integers ≥ {min}";
        var values = Reader.IntList(Inner.Required(name, what), PathOf(name), min, what);
        return values.Length > 0 ? values : throw Error(name, $"expected {what}, got []");
    }

    /// <summary>A required non-empty list of layers (a block such as residual's), each read through the registry.</summary>
    public IReadOnlyList<LayerSpec> Layers(string name) =>
        LayerSpec.ParseList(Reader, Inner.Required(name, "a non-empty list of layers"), PathOf(name));
}
