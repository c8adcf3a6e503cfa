using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// One entry of a spec's <c>layers</c>: a layer type (lower snake case) and its options. Shapes here
/// are per sample, without the batch axis; axis options count the batch axis as PyTorch's do.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>The layer types a spec may name, in the order error messages list them.</summary>
    public static IReadOnlyList<string> Types { get; } =
    [
        "linear", "relu", "sigmoid", "tanh", "step", "leaky_relu", "elu", "gelu", "silu", "softplus",
        "softmax", "log_softmax", "identity", "flatten", "dropout", "batch_norm", "layer_norm", "residual",
    ];

    /// <summary>The type name as the spec writes it, e.g. "linear".</summary>
    public abstract string Type { get; }

    /// <summary>The output shape of one sample given the input shape; an impossible input throws naming <paramref name="path"/>.</summary>
    internal virtual int[] OutputShape(int[] input, string path, SpecReader reader) => input;

    /// <summary>The number of learnable values the layer has for that input.</summary>
    internal virtual long ParameterCount(int[] input) => 0;

    /// <summary>The module, for an input shape <see cref="OutputShape"/> accepted.</summary>
    internal abstract Module Build(int[] input, Generator rng);

    /// <summary>Writes the fields after "type".</summary>
    internal virtual void WriteFields(Utf8JsonWriter json)
    {
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type", Type);
        WriteFields(json);
        json.WriteEndObject();
    }

    internal static IReadOnlyList<LayerSpec> ParseList(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw reader.Error(path, $"expected a non-empty list of layers, got {SpecReader.Show(element)}");
        }
        return [.. element.EnumerateArray().Select((layer, i) => Parse(reader, layer, $"{path}[{i}]"))];
    }

    internal static LayerSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw reader.Error(path, $"expected a layer (a JSON object with a \"type\"), got {SpecReader.Show(element)}");
        }
        if (!element.TryGetProperty("type", out var typeElement))
        {
            throw reader.Error(SpecReader.Child(path, "type"), $"missing; expected a layer type, one of {string.Join(", ", Types)}");
        }
        string type = reader.Choice(typeElement, SpecReader.Child(path, "type"), "layer type", Types);
        SpecReader.Fields Fields(params string[] names) => reader.Object(element, path, type, ["type", .. names]);
        switch (type)
        {
            case "linear":
                {
                    var f = Fields("out", "bias", "init");
                    return new LinearSpec(f.RequiredInt("out"), f.Bool("bias", true), f.Optional("init") is { } init ? InitSpec.Parse(reader, init, f.PathOf("init")) : null);
                }
            case "leaky_relu":
                return new LeakyReluSpec(Fields("alpha").Number("alpha", 0.01, Check.NonNegative, Check.NonNegativeText));
            case "elu":
                return new EluSpec(Fields("alpha").Number("alpha", 1, Check.NonNegative, Check.NonNegativeText));
            case "gelu":
                return new GeluSpec(Fields("approximate").Choice("approximate", "none", "approximation", ["none", "tanh"]));
            case "softplus":
                {
                    var f = Fields("beta", "threshold");
                    return new SoftplusSpec(f.Number("beta", 1, Check.Positive, Check.PositiveText), f.Number("threshold", 20, Check.Positive, Check.PositiveText));
                }
            case "softmax" or "log_softmax":
                return new SoftmaxSpec(Fields("axis").Int("axis", -1, int.MinValue + 1), type == "log_softmax");
            case "flatten":
                {
                    var f = Fields("start_dim", "end_dim");
                    return new FlattenSpec(f.Int("start_dim", 1, int.MinValue + 1), f.Int("end_dim", -1, int.MinValue + 1));
                }
            case "dropout":
                return new DropoutSpec(Fields("p").Number("p", 0.5, Check.Probability, Check.ProbabilityText));
            case "batch_norm":
                {
                    var f = Fields("eps", "momentum", "affine");
                    return new BatchNormSpec(
                        f.Number("eps", 1e-5, Check.Positive, Check.PositiveText), f.Number("momentum", 0.1, Check.UnitClosed, Check.UnitClosedText), f.Bool("affine", true));
                }
            case "layer_norm":
                {
                    var f = Fields("eps", "elementwise_affine");
                    return new LayerNormSpec(f.Number("eps", 1e-5, Check.Positive, Check.PositiveText), f.Bool("elementwise_affine", true));
                }
            case "residual":
                {
                    var f = Fields("layers");
                    return new ResidualSpec(ParseList(reader, f.Required("layers", "a non-empty list of layers"), f.PathOf("layers")));
                }
            default:
                Fields();
                return new SimpleLayerSpec(type);
        }
    }
}

/// <summary>A layer without options: relu, sigmoid, tanh, step, silu or identity.</summary>
public sealed record SimpleLayerSpec : LayerSpec
{
    private static readonly string[] Names = ["relu", "sigmoid", "tanh", "step", "silu", "identity"];

    public SimpleLayerSpec(string type)
    {
        if (!Names.Contains(type))
        {
            throw new ArgumentException($"SimpleLayerSpec: \"{type}\" is not one of {string.Join(", ", Names)}.", nameof(type));
        }
        Type = type;
    }

    public override string Type { get; }

    internal override Module Build(int[] input, Generator rng) => Type switch
    {
        "relu" => new ReLU(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "step" => new Step(),
        "silu" => new SiLU(),
        _ => new Identity(),
    };
}

/// <summary><c>linear</c>: y = x·Wᵀ + b over the last axis. Fields: out (required), bias (true), init (PyTorch's default).</summary>
public sealed record LinearSpec(int Out, bool Bias = true, InitSpec? Init = null) : LayerSpec
{
    public override string Type => "linear";

    internal override int[] OutputShape(int[] input, string path, SpecReader reader)
    {
        if (Out < 1)
        {
            throw reader.Error(SpecReader.Child(path, "out"), $"expected a positive integer, got {Out}");
        }
        long weights = (long)input[^1] * Out;
        if (weights > Array.MaxLength)
        {
            throw reader.Error(SpecReader.Child(path, "out"),
                $"a linear layer from {input[^1]} to {Out} features needs {weights} weights, more than a tensor can hold ({Array.MaxLength})");
        }
        return [.. input[..^1], Out];
    }

    internal override long ParameterCount(int[] input) => (long)input[^1] * Out + (Bias ? Out : 0);

    internal override Module Build(int[] input, Generator rng)
    {
        var linear = new Linear(input[^1], Out, Bias, rng);
        Init?.Apply(linear, rng);
        return linear;
    }

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("out", Out);
        json.WriteBoolean("bias", Bias);
        if (Init is not null)
        {
            json.WritePropertyName("init");
            Init.Write(json);
        }
    }
}

/// <summary><c>leaky_relu</c>: x where x &gt; 0, else α·x. Field: alpha (0.01).</summary>
public sealed record LeakyReluSpec(double Alpha = 0.01) : LayerSpec
{
    public override string Type => "leaky_relu";

    internal override Module Build(int[] input, Generator rng) => new LeakyReLU((float)Alpha);

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("alpha", Alpha);
}

/// <summary><c>elu</c>: x where x &gt; 0, else α(eˣ − 1). Field: alpha (1).</summary>
public sealed record EluSpec(double Alpha = 1) : LayerSpec
{
    public override string Type => "elu";

    internal override Module Build(int[] input, Generator rng) => new ELU((float)Alpha);

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("alpha", Alpha);
}

/// <summary><c>gelu</c>: x·Φ(x). Field: approximate, "none" (erf, the default) or "tanh".</summary>
public sealed record GeluSpec(string Approximate = "none") : LayerSpec
{
    public override string Type => "gelu";

    internal override Module Build(int[] input, Generator rng) => new GELU(Approximate == "tanh");

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteString("approximate", Approximate);
}

/// <summary><c>softplus</c>: (1/β)·ln(1 + e^(βx)). Fields: beta (1), threshold (20).</summary>
public sealed record SoftplusSpec(double Beta = 1, double Threshold = 20) : LayerSpec
{
    public override string Type => "softplus";

    internal override Module Build(int[] input, Generator rng) => new Softplus((float)Beta, (float)Threshold);

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("beta", Beta);
        json.WriteNumber("threshold", Threshold);
    }
}

/// <summary>
/// <c>softmax</c>, or <c>log_softmax</c> when <paramref name="Log"/>. Field: axis (−1), counted with the
/// batch axis as PyTorch's dim, and never the batch axis itself.
/// </summary>
public sealed record SoftmaxSpec(int Axis = -1, bool Log = false) : LayerSpec
{
    public override string Type => Log ? "log_softmax" : "softmax";

    internal override int[] OutputShape(int[] input, string path, SpecReader reader)
    {
        int rank = input.Length + 1;
        if (Axis == 0 || Axis < -input.Length || Axis >= rank)
        {
            throw reader.Error(SpecReader.Child(path, "axis"),
                $"axis {Axis} is not an axis of a sample: with the batch axis the input is {rank}-D, so axis must be in 1..{rank - 1} or -{input.Length}..-1");
        }
        return input;
    }

    internal override Module Build(int[] input, Generator rng) => Log ? new LogSoftmax(Axis) : new Softmax(Axis);

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("axis", Axis);
}

/// <summary><c>flatten</c>: axes start_dim … end_dim into one (1 and −1: all but the batch axis), as torch.nn.Flatten.</summary>
public sealed record FlattenSpec(int StartDim = 1, int EndDim = -1) : LayerSpec
{
    public override string Type => "flatten";

    internal override int[] OutputShape(int[] input, string path, SpecReader reader)
    {
        int rank = input.Length + 1;
        int start = StartDim < 0 ? StartDim + rank : StartDim, end = EndDim < 0 ? EndDim + rank : EndDim;
        if (start < 1 || start >= rank)
        {
            throw reader.Error(SpecReader.Child(path, "start_dim"), $"start_dim {StartDim} is not an axis of a sample (1..{rank - 1}, the batch axis 0 excluded)");
        }
        if (end < start || end >= rank)
        {
            throw reader.Error(SpecReader.Child(path, "end_dim"), $"end_dim {EndDim} must be an axis from start_dim {StartDim} to {rank - 1}");
        }
        long size = 1;
        for (int axis = start; axis <= end; axis++)
        {
            size *= input[axis - 1];
        }
        return [.. input[..(start - 1)], (int)size, .. input[end..]];
    }

    internal override Module Build(int[] input, Generator rng) => new Flatten(StartDim, EndDim);

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("start_dim", StartDim);
        json.WriteNumber("end_dim", EndDim);
    }
}

/// <summary><c>dropout</c>: zeroes each element with probability p in training and scales the rest by 1/(1 − p). Field: p (0.5).</summary>
/// <remarks>The module draws its masks from the generator the model is built with (see <see cref="ModelSpec.Build"/>).</remarks>
public sealed record DropoutSpec(double P = 0.5) : LayerSpec
{
    public override string Type => "dropout";

    internal override Module Build(int[] input, Generator rng) => new Dropout((float)P, rng);

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("p", P);
}

/// <summary><c>batch_norm</c> (BatchNorm1d) over features [C] or [C, L]. Fields: eps (1e-5), momentum (0.1), affine (true).</summary>
public sealed record BatchNormSpec(double Eps = 1e-5, double Momentum = 0.1, bool Affine = true) : LayerSpec
{
    public override string Type => "batch_norm";

    internal override int[] OutputShape(int[] input, string path, SpecReader reader) =>
        input.Length is 1 or 2
            ? input
            : throw reader.Error(path, $"batch_norm needs features [C] or [C, L] per sample, but its input is {Shapes.Format(input)}");

    internal override long ParameterCount(int[] input) => Affine ? 2L * input[0] : 0;

    internal override Module Build(int[] input, Generator rng) => new BatchNorm1d(input[0], (float)Eps, (float)Momentum, Affine);

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("eps", Eps);
        json.WriteNumber("momentum", Momentum);
        json.WriteBoolean("affine", Affine);
    }
}

/// <summary><c>layer_norm</c> over the last axis of each sample. Fields: eps (1e-5), elementwise_affine (true).</summary>
public sealed record LayerNormSpec(double Eps = 1e-5, bool ElementwiseAffine = true) : LayerSpec
{
    public override string Type => "layer_norm";

    internal override long ParameterCount(int[] input) => ElementwiseAffine ? 2L * input[^1] : 0;

    internal override Module Build(int[] input, Generator rng) => new LayerNorm(input[^1], (float)Eps, ElementwiseAffine);

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("eps", Eps);
        json.WriteBoolean("elementwise_affine", ElementwiseAffine);
    }
}

/// <summary>
/// <c>residual</c>: x + f(x), f the layers given (a Sequential registered as "block", so its weights
/// are named <c>N.block.0.weight</c>, …). The layers must map a sample's shape onto itself.
/// </summary>
public sealed record ResidualSpec(IReadOnlyList<LayerSpec> Layers) : LayerSpec
{
    public override string Type => "residual";

    internal override int[] OutputShape(int[] input, string path, SpecReader reader)
    {
        string layersPath = SpecReader.Child(path, "layers");
        var output = ModelSpec.InferShapes(Layers, input, layersPath, reader)[^1];
        if (!output.SequenceEqual(input))
        {
            throw reader.Error(layersPath, $"the block maps {Shapes.Format(input)} to {Shapes.Format(output)}; x + f(x) needs the same shape");
        }
        return input;
    }

    internal override long ParameterCount(int[] input)
    {
        long count = 0;
        foreach (var layer in Layers)
        {
            count += layer.ParameterCount(input);
            input = layer.OutputShape(input, "", new SpecReader(null));
        }
        return count;
    }

    internal override Module Build(int[] input, Generator rng) => new Residual(ModelSpec.BuildLayers(Layers, input, rng));

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteStartArray("layers");
        foreach (var layer in Layers)
        {
            layer.Write(json);
        }
        json.WriteEndArray();
    }

    public bool Equals(ResidualSpec? other) => other is not null && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode() => Layers.Count;
}

/// <summary>
/// A linear layer's weight initialization, by torch.nn.init's definitions: xavier_uniform,
/// xavier_normal (gain 1), he_uniform, he_normal (Kaiming, fan_in, gain √2), lecun_normal,
/// orthogonal (gain 1), zeros, normal (mean 0, std 1), uniform (low 0, high 1). Written as a string,
/// or an object {"type", and gain, mean/std or low/high}. The bias, if any, starts at zero.
/// </summary>
public sealed record InitSpec(string Type, double Gain = 1, double Mean = 0, double Std = 1, double Low = 0, double High = 1)
{
    /// <summary>The initializations a spec may name.</summary>
    public static IReadOnlyList<string> Types { get; } =
        ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal", "orthogonal", "zeros", "normal", "uniform"];

    private string[] Options => Type switch
    {
        "xavier_uniform" or "xavier_normal" or "orthogonal" => ["gain"],
        "normal" => ["mean", "std"],
        "uniform" => ["low", "high"],
        _ => [],
    };

    internal static InitSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return new InitSpec(reader.Choice(element, path, "initialization", Types));
        }
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var typeElement))
        {
            throw reader.Error(path, $"expected an initialization name or an object with a \"type\", got {SpecReader.Show(element)}");
        }
        var spec = new InitSpec(reader.Choice(typeElement, SpecReader.Child(path, "type"), "initialization", Types));
        var f = reader.Object(element, path, spec.Type, ["type", .. spec.Options]);
        spec = spec with
        {
            Gain = f.Number("gain", 1, Check.Positive, Check.PositiveText),
            Mean = f.Number("mean", 0, Check.Any, Check.AnyText),
            Std = f.Number("std", 1, Check.Positive, Check.PositiveText),
            Low = f.Number("low", 0, Check.Any, Check.AnyText),
            High = f.Number("high", 1, Check.Any, Check.AnyText),
        };
        if (spec.High < spec.Low)
        {
            throw reader.Error(f.PathOf("high"), $"high {Check.Format(spec.High)} is below low {Check.Format(spec.Low)}");
        }
        return spec;
    }

    internal void Apply(Linear linear, Generator rng)
    {
        var w = linear.Weight;
        switch (Type)
        {
            case "xavier_uniform": NN.Init.XavierUniform(w, (float)Gain, rng); break;
            case "xavier_normal": NN.Init.XavierNormal(w, (float)Gain, rng); break;
            case "he_uniform": NN.Init.KaimingUniform(w, nonlinearity: "relu", rng: rng); break;
            case "he_normal": NN.Init.KaimingNormal(w, nonlinearity: "relu", rng: rng); break;
            case "lecun_normal": NN.Init.LecunNormal(w, rng); break;
            case "orthogonal": NN.Init.Orthogonal(w, (float)Gain, rng); break;
            case "zeros": NN.Init.Zeros(w); break;
            case "normal": NN.Init.Normal(w, (float)Mean, (float)Std, rng); break;
            case "uniform": NN.Init.Uniform(w, (float)Low, (float)High, rng); break;
            default: throw new InvalidOperationException($"InitSpec: unknown initialization \"{Type}\".");
        }
        if (linear.Bias is { } bias)
        {
            NN.Init.Zeros(bias);
        }
    }

    internal void Write(Utf8JsonWriter json)
    {
        var defaults = new InitSpec(Type);
        if (this == defaults)
        {
            json.WriteStringValue(Type);
            return;
        }
        json.WriteStartObject();
        json.WriteString("type", Type);
        foreach (string option in Options)
        {
            json.WriteNumber(option, option switch
            {
                "gain" => Gain,
                "mean" => Mean,
                "std" => Std,
                "low" => Low,
                _ => High,
            });
        }
        json.WriteEndObject();
    }
}
