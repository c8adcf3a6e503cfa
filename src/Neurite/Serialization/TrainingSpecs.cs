using System.Text.Json;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

using Neurite.Training;

namespace Neurite.Serialization;

/// <summary>
/// The spec's <c>loss</c>: a name, or an object with a "type" and its option. mse, l1, huber
/// {delta 1}, smooth_l1 {beta 1}, bce (on probabilities), bce_with_logits, cross_entropy (logits and
/// class indices) {label_smoothing 0}, nll (log-probabilities and class indices); all reduce by mean, and the
/// element-wise ones also take {reduction: "sum_per_sample"} (see <see cref="Reductions"/>).
/// </summary>
public sealed record LossSpec(string Type, double LabelSmoothing = 0, double Delta = 1, double Beta = 1, string Reduction = "mean")
{
    /// <summary>The losses a spec may name.</summary>
    public static IReadOnlyList<string> Types => Training.Objective.Names;

    /// <summary>
    /// The reductions of an element-wise loss: "mean" over every value (PyTorch's default), or "sum_per_sample": summed
    /// over each sample's values and averaged over the batch, as a VAE's reconstruction term (a log-likelihood per image).
    /// </summary>
    public static IReadOnlyList<string> Reductions { get; } = ["mean", "sum_per_sample"];

    /// <summary>True when the targets are class indices [N] (cross_entropy, nll), false when they have the output's shape.</summary>
    public bool TakesClassIndices => Type is "cross_entropy" or "nll";

    /// <summary>The training objective: the loss with its options, and what it implies for the task and the outputs.</summary>
    public Objective Objective() =>
        Training.Objective.FromName(Type, (float)LabelSmoothing, (float)(Type == "smooth_l1" ? Beta : Delta), Reduction == "sum_per_sample");

    private string? Option => Type switch
    {
        "cross_entropy" => "label_smoothing",
        "huber" => "delta",
        "smooth_l1" => "beta",
        _ => null,
    };

    internal static LossSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return new LossSpec(reader.Choice(element, path, "loss", Types));
        }
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var typeElement))
        {
            throw reader.Error(path, $"expected a loss name or an object with a \"type\", got {SpecReader.Show(element)}");
        }
        var spec = new LossSpec(reader.Choice(typeElement, SpecReader.Child(path, "type"), "loss", Types));
        string[] fields = [.. new[] { "type", spec.Option }.OfType<string>(), .. spec.TakesClassIndices ? Array.Empty<string>() : ["reduction"]];
        var f = reader.Object(element, path, spec.Type, fields);
        return spec with
        {
            LabelSmoothing = f.Number("label_smoothing", 0, Check.UnitClosed, Check.UnitClosedText),
            Delta = f.Number("delta", 1, Check.Positive, Check.PositiveText),
            Beta = f.Number("beta", 1, Check.Positive, Check.PositiveText),
            Reduction = f.Choice("reduction", "mean", "reduction", Reductions),
        };
    }

    internal void Write(Utf8JsonWriter json, string name)
    {
        if (this == new LossSpec(Type))
        {
            json.WriteString(name, Type);
            return;
        }
        json.WriteStartObject(name);
        json.WriteString("type", Type);
        if (Option is { } option)
        {
            json.WriteNumber(option, option switch
            {
                "label_smoothing" => LabelSmoothing,
                "delta" => Delta,
                _ => Beta,
            });
        }
        if (Reduction != "mean")
        {
            json.WriteString("reduction", Reduction);
        }
        json.WriteEndObject();
    }
}

/// <summary>
/// The spec's <c>optimizer</c>: {"type": sgd | adam | adamw | rmsprop | adagrad, "lr", and the
/// optimizer's own options by PyTorch's names}. sgd needs lr; the others default as PyTorch.
/// </summary>
/// <param name="Options">The hyperparameters; their record type decides the optimizer.</param>
public sealed record OptimizerSpec(OptimizerOptions Options)
{
    /// <summary>The optimizers a spec may name.</summary>
    public static IReadOnlyList<string> Types { get; } = ["sgd", "adam", "adamw", "rmsprop", "adagrad"];

    /// <summary>The name the spec uses, e.g. "adam".</summary>
    public string Type => Options switch
    {
        SGDOptions => "sgd",
        AdamOptions => "adam",
        AdamWOptions => "adamw",
        RMSpropOptions => "rmsprop",
        AdagradOptions => "adagrad",
        _ => throw new InvalidOperationException($"OptimizerSpec: {Options.GetType().Name} has no spec name."),
    };

    /// <summary>A new optimizer over <paramref name="parameters"/> with these options.</summary>
    public Optimizer Build(IEnumerable<Parameter> parameters) => Options switch
    {
        SGDOptions o => new SGD(parameters, o),
        AdamOptions o => new Adam(parameters, o),
        AdamWOptions o => new AdamW(parameters, o),
        RMSpropOptions o => new RMSprop(parameters, o),
        AdagradOptions o => new Adagrad(parameters, o),
        _ => throw new InvalidOperationException($"OptimizerSpec: cannot build an optimizer from {Options.GetType().Name}."),
    };

    private static string[] Fields(string type) => type switch
    {
        "sgd" => ["lr", "momentum", "dampening", "weight_decay", "nesterov"],
        "adam" or "adamw" => ["lr", "betas", "eps", "weight_decay", "amsgrad"],
        "rmsprop" => ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
        _ => ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    };

    internal static OptimizerSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        string type;
        SpecReader.Fields f;
        if (element.ValueKind == JsonValueKind.String)
        {
            type = reader.Choice(element, path, "optimizer", Types);
            f = reader.NoFields(path);
        }
        else
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var typeElement))
            {
                throw reader.Error(path, $"expected an optimizer name or an object with a \"type\", got {SpecReader.Show(element)}");
            }
            type = reader.Choice(typeElement, SpecReader.Child(path, "type"), "optimizer", Types);
            f = reader.Object(element, path, type, ["type", .. Fields(type)]);
        }
        const string Rate = "a learning rate >= 0";
        double Decay() => f.Number("weight_decay", type == "adamw" ? 1e-2 : 0, Check.NonNegative, Check.NonNegativeText);
        double Eps(double fallback) => f.Number("eps", fallback, Check.NonNegative, Check.NonNegativeText);
        switch (type)
        {
            case "sgd":
                {
                    if (!f.Has("lr"))
                    {
                        throw reader.Error(f.PathOf("lr"), "missing; sgd needs a learning rate (PyTorch has no default for it)");
                    }
                    var o = new SGDOptions(
                        f.RequiredNumber("lr", Check.NonNegative, Rate), f.Number("momentum", 0, Check.NonNegative, Check.NonNegativeText),
                        f.Number("dampening", 0, Check.Any, Check.AnyText), Decay(), f.Bool("nesterov", false));
                    if (o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0))
                    {
                        throw reader.Error(f.PathOf("nesterov"), $"Nesterov momentum needs momentum > 0 and dampening 0 (momentum {Check.Format(o.Momentum)}, dampening {Check.Format(o.Dampening)})");
                    }
                    return new OptimizerSpec(o);
                }
            case "adam" or "adamw":
                {
                    double beta1 = 0.9, beta2 = 0.999;
                    if (f.Optional("betas") is { } betas)
                    {
                        string betasPath = f.PathOf("betas");
                        if (betas.ValueKind != JsonValueKind.Array || betas.GetArrayLength() != 2)
                        {
                            throw reader.Error(betasPath, $"expected [beta1, beta2], two numbers in [0, 1), got {SpecReader.Show(betas)}");
                        }
                        beta1 = reader.Number(betas[0], betasPath + "[0]", Check.Probability, Check.ProbabilityText);
                        beta2 = reader.Number(betas[1], betasPath + "[1]", Check.Probability, Check.ProbabilityText);
                    }
                    double lr = f.Number("lr", 1e-3, Check.NonNegative, Rate);
                    return type == "adam"
                        ? new OptimizerSpec(new AdamOptions(lr, beta1, beta2, Eps(1e-8), Decay(), f.Bool("amsgrad", false)))
                        : new OptimizerSpec(new AdamWOptions(lr, beta1, beta2, Eps(1e-8), Decay(), f.Bool("amsgrad", false)));
                }
            case "rmsprop":
                return new OptimizerSpec(new RMSpropOptions(
                    f.Number("lr", 1e-2, Check.NonNegative, Rate), f.Number("alpha", 0.99, Check.NonNegative, Check.NonNegativeText), Eps(1e-8), Decay(),
                    f.Number("momentum", 0, Check.NonNegative, Check.NonNegativeText), f.Bool("centered", false)));
            default:
                return new OptimizerSpec(new AdagradOptions(
                    f.Number("lr", 1e-2, Check.NonNegative, Rate), f.Number("lr_decay", 0, Check.NonNegative, Check.NonNegativeText), Decay(),
                    f.Number("initial_accumulator_value", 0, Check.NonNegative, Check.NonNegativeText), Eps(1e-10)));
        }
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type", Type);
        json.WriteNumber("lr", Options.Lr);
        switch (Options)
        {
            case SGDOptions o:
                json.WriteNumber("momentum", o.Momentum);
                json.WriteNumber("dampening", o.Dampening);
                json.WriteNumber("weight_decay", o.WeightDecay);
                json.WriteBoolean("nesterov", o.Nesterov);
                break;
            case AdamOptions o:
                WriteAdam(json, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Amsgrad);
                break;
            case AdamWOptions o:
                WriteAdam(json, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Amsgrad);
                break;
            case RMSpropOptions o:
                json.WriteNumber("alpha", o.Alpha);
                json.WriteNumber("eps", o.Eps);
                json.WriteNumber("weight_decay", o.WeightDecay);
                json.WriteNumber("momentum", o.Momentum);
                json.WriteBoolean("centered", o.Centered);
                break;
            case AdagradOptions o:
                json.WriteNumber("lr_decay", o.LrDecay);
                json.WriteNumber("weight_decay", o.WeightDecay);
                json.WriteNumber("initial_accumulator_value", o.InitialAccumulatorValue);
                json.WriteNumber("eps", o.Eps);
                break;
            default:
                throw new InvalidOperationException($"OptimizerSpec: {Options.GetType().Name} has no spec name.");
        }
        json.WriteEndObject();
    }

    private static void WriteAdam(Utf8JsonWriter json, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
    {
        json.WriteStartArray("betas");
        json.WriteNumberValue(beta1);
        json.WriteNumberValue(beta2);
        json.WriteEndArray();
        json.WriteNumber("eps", eps);
        json.WriteNumber("weight_decay", weightDecay);
        json.WriteBoolean("amsgrad", amsgrad);
    }
}

/// <summary>The spec's <c>early_stopping</c>: stop after <paramref name="Patience"/> epochs without an improvement above <paramref name="MinDelta"/>.</summary>
/// <param name="Patience">Epochs without improvement before stopping (required, ≥ 0).</param>
/// <param name="MinDelta">The smallest change that counts as an improvement (default 0).</param>
/// <param name="RestoreBest">Restore the best weights when stopping (default false, as Keras).</param>
public sealed record EarlyStoppingSpec(int Patience, double MinDelta = 0, bool RestoreBest = false)
{
    internal static EarlyStoppingSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        var f = reader.Object(element, path, "early_stopping", ["patience", "min_delta", "restore_best"]);
        return new EarlyStoppingSpec(f.RequiredInt("patience", 0), f.Number("min_delta", 0, Check.NonNegative, Check.NonNegativeText), f.Bool("restore_best", false));
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("early_stopping");
        json.WriteNumber("patience", Patience);
        json.WriteNumber("min_delta", MinDelta);
        json.WriteBoolean("restore_best", RestoreBest);
        json.WriteEndObject();
    }
}

/// <summary>
/// The spec's <c>data.augment</c> (images [C, H, W]): a random shift of up to <paramref name="Shift"/> pixels with zero
/// fill, which is a random crop from the image zero-padded by as many pixels (torchvision's RandomCrop(size,
/// padding), so the field may also be written <c>crop</c>); horizontal flips with probability ½; gaussian noise of std
/// <paramref name="Noise"/> (see <see cref="Data.Augmentation"/>).
/// </summary>
public sealed record AugmentSpec(int Shift = 0, bool Flip = false, double Noise = 0)
{
    internal static AugmentSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        var f = reader.Object(element, path, "augment", ["shift", "crop", "flip", "noise"]);
        if (f.Has("shift") && f.Has("crop"))
        {
            throw reader.Error(f.PathOf("crop"), "give the padding of a random crop as \"crop\" or \"shift\", not both (they are the same transform)");
        }
        return new AugmentSpec(f.Int(f.Has("crop") ? "crop" : "shift", 0, 0), f.Bool("flip", false), f.Number("noise", 0, Check.NonNegative, Check.NonNegativeText));
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("augment");
        json.WriteNumber("shift", Shift);
        json.WriteBoolean("flip", Flip);
        json.WriteNumber("noise", Noise);
        json.WriteEndObject();
    }
}

/// <summary>
/// The spec's <c>data</c>: where the data comes from and what to do with it. Only what is given is
/// done; every option is null (or false) when absent.
/// </summary>
/// <param name="Source">A synthetic name (spirals, xor, …), fashion-mnist, a CSV path, idx:IMAGES,LABELS or text:PATH,seq=N ("type" is accepted for it too).</param>
public sealed record DataSpec(string Source)
{
    /// <summary>samples: how many samples a synthetic generator makes (positive integer).</summary>
    public int? Samples { get; init; }

    /// <summary>noise: the noise of a synthetic generator (≥ 0).</summary>
    public double? Noise { get; init; }

    /// <summary>validation_split: the fraction held out for validation, in [0, 1).</summary>
    public double? ValidationSplit { get; init; }

    /// <summary>test_split: the fraction held out for testing, in [0, 1).</summary>
    public double? TestSplit { get; init; }

    /// <summary>
    /// scale: "standardize" (zero mean, unit variance), "minmax" (each feature to [0, 1]) or "minmax_global" (one range
    /// over all values to [0, 1]: images' 0 … 255 become 0 … 1, as torchvision's ToTensor).
    /// </summary>
    public string? Scale { get; init; }

    /// <summary>
    /// binarize: a threshold t in (0, 1): after scaling, every feature becomes 1 where it is above t and 0 elsewhere (the
    /// binarized images a restricted Boltzmann machine's Bernoulli units model); applied to every split and to the data
    /// given to the trained model.
    /// </summary>
    public double? Binarize { get; init; }

    /// <summary>target: the CSV column holding the target (the data layer's default is "label").</summary>
    public string? Target { get; init; }

    /// <summary>shuffle: whether the loader shuffles each epoch.</summary>
    public bool? Shuffle { get; init; }

    /// <summary>drop_last: whether the loader drops a last, smaller batch.</summary>
    public bool? DropLast { get; init; }

    /// <summary>augment: image augmentation, applied to training batches only.</summary>
    public AugmentSpec? Augment { get; init; }

    private static readonly string[] Known =
        ["source", "type", "samples", "noise", "validation_split", "test_split", "scale", "binarize", "target", "shuffle", "drop_last", "augment"];

    internal static DataSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        var f = reader.Object(element, path, "data", Known);
        if (f.Has("source") && f.Has("type"))
        {
            throw reader.Error(f.PathOf("type"), "give the data source as \"source\" or \"type\", not both");
        }
        string name = f.Has("type") ? "type" : "source";
        var spec = new DataSpec(reader.String(f.Required(name, "a data source (a synthetic name, fashion-mnist, a CSV path or idx:IMAGES,LABELS)"), f.PathOf(name), "a data source name"))
        {
            Samples = f.OptionalInt("samples"),
            Noise = f.OptionalNumber("noise", Check.NonNegative, Check.NonNegativeText),
            ValidationSplit = f.OptionalNumber("validation_split", Check.Probability, Check.ProbabilityText),
            TestSplit = f.OptionalNumber("test_split", Check.Probability, Check.ProbabilityText),
            Scale = f.OptionalChoice("scale", "scaling", ["standardize", "minmax", "minmax_global"]),
            Binarize = f.OptionalNumber("binarize", v => v > 0 && v < 1, "a threshold in (0, 1)"),
            Target = f.OptionalString("target", "a column name"),
            Shuffle = f.Has("shuffle") ? f.Bool("shuffle", true) : null,
            DropLast = f.Has("drop_last") ? f.Bool("drop_last", false) : null,
            Augment = f.Optional("augment") is { } augment ? AugmentSpec.Parse(reader, augment, f.PathOf("augment")) : null,
        };
        if ((spec.ValidationSplit ?? 0) + (spec.TestSplit ?? 0) >= 1)
        {
            throw reader.Error(f.PathOf("test_split"), "validation_split and test_split together leave no training data (their sum must be below 1)");
        }
        return spec;
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("data");
        json.WriteString("source", Source);
        WriteOptional(json, "samples", Samples);
        WriteOptional(json, "noise", Noise);
        WriteOptional(json, "validation_split", ValidationSplit);
        WriteOptional(json, "test_split", TestSplit);
        if (Scale is not null)
        {
            json.WriteString("scale", Scale);
        }
        WriteOptional(json, "binarize", Binarize);
        if (Target is not null)
        {
            json.WriteString("target", Target);
        }
        if (Shuffle is { } shuffle)
        {
            json.WriteBoolean("shuffle", shuffle);
        }
        if (DropLast is { } dropLast)
        {
            json.WriteBoolean("drop_last", dropLast);
        }
        Augment?.Write(json);
        json.WriteEndObject();
    }

    internal static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }
}
