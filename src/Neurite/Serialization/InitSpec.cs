using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

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
        // The weights are float32: a larger value would become infinite.
        foreach (var (name, value) in new[] { ("gain", spec.Gain), ("mean", spec.Mean), ("std", spec.Std), ("low", spec.Low), ("high", spec.High) })
        {
            if (Math.Abs(value) > float.MaxValue)
            {
                throw reader.Error(f.PathOf(name), $"{Check.Format(value)} is beyond the range of float32 weights (±3.4e38)");
            }
        }
        return spec;
    }

    /// <summary>A layer's optional <c>init</c> field.</summary>
    internal static InitSpec? ParseField(LayerFields fields) =>
        fields.Inner.Optional("init") is { } init ? Parse(fields.Reader, init, fields.PathOf("init")) : null;

    /// <summary>Writes a layer's <c>init</c> field, when it has one.</summary>
    internal static void WriteField(Utf8JsonWriter json, InitSpec? init)
    {
        if (init is not null)
        {
            json.WritePropertyName("init");
            init.Write(json);
        }
    }

    internal void Apply(Parameter w, Parameter? bias, Generator rng)
    {
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
        if (bias is not null)
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
