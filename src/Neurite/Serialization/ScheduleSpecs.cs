using System.Text.Json;

namespace Neurite.Serialization;

/// <summary>
/// The spec's <c>schedule</c>: a learning-rate schedule by type and its fields, by PyTorch's
/// names in lower snake case. Parsed and validated here; the training layer builds the schedule.
/// </summary>
public abstract record ScheduleSpec
{
    /// <summary>The schedule types a spec may name.</summary>
    public static IReadOnlyList<string> Types { get; } =
        ["step", "multi_step", "exponential", "cosine", "warm_restarts", "one_cycle", "reduce_on_plateau", "warmup"];

    /// <summary>Other names accepted for a type: PyTorch-like spellings.</summary>
    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["multistep"] = "multi_step",
        ["cosine_warm_restarts"] = "warm_restarts",
        ["plateau"] = "reduce_on_plateau",
    };

    /// <summary>The type name as the spec writes it, e.g. "cosine".</summary>
    public abstract string Type { get; }

    internal abstract void WriteFields(Utf8JsonWriter json);

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type", Type);
        WriteFields(json);
        json.WriteEndObject();
    }

    internal static ScheduleSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var typeElement))
        {
            throw reader.Error(path, $"expected a schedule (an object with a \"type\"), got {SpecReader.Show(element)}");
        }
        string typePath = SpecReader.Child(path, "type");
        string type = reader.String(typeElement, typePath, "a schedule type");
        type = Aliases.GetValueOrDefault(type, type);
        if (!Types.Contains(type))
        {
            throw reader.Error(typePath, $"unknown schedule type \"{type}\"; known: {string.Join(", ", Types)}");
        }
        SpecReader.Fields Fields(params string[] names) => reader.Object(element, path, type, ["type", .. names]);
        switch (type)
        {
            case "step":
                {
                    var f = Fields("step_size", "gamma");
                    return new StepScheduleSpec(f.RequiredInt("step_size"), f.Number("gamma", 0.1, Check.Positive, Check.PositiveText));
                }
            case "multi_step":
                {
                    var f = Fields("milestones", "gamma");
                    var milestones = reader.IntList(f.Required("milestones", "a list of positive integers"), f.PathOf("milestones"), 1, "a list of positive integers");
                    for (int i = 1; i < milestones.Length; i++)
                    {
                        if (milestones[i] < milestones[i - 1])
                        {
                            throw reader.Error($"{f.PathOf("milestones")}[{i}]", $"milestones must not decrease; {milestones[i]} follows {milestones[i - 1]}");
                        }
                    }
                    return new MultiStepScheduleSpec(milestones, f.Number("gamma", 0.1, Check.Positive, Check.PositiveText));
                }
            case "exponential":
                return new ExponentialScheduleSpec(Fields("gamma").RequiredNumber("gamma", Check.Positive, Check.PositiveText));
            case "cosine":
                {
                    var f = Fields("t_max", "eta_min");
                    return new CosineScheduleSpec(f.RequiredInt("t_max"), f.Number("eta_min", 0, Check.NonNegative, Check.NonNegativeText));
                }
            case "warm_restarts":
                {
                    var f = Fields("t_0", "t_mult", "eta_min");
                    return new WarmRestartsScheduleSpec(f.RequiredInt("t_0"), f.Int("t_mult", 1), f.Number("eta_min", 0, Check.NonNegative, Check.NonNegativeText));
                }
            case "one_cycle":
                {
                    var f = Fields("max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase",
                        "cycle_momentum", "base_momentum", "max_momentum");
                    return new OneCycleScheduleSpec(
                        f.OptionalNumber("max_lr", Check.Positive, Check.PositiveText), f.OptionalInt("total_steps"),
                        f.Number("pct_start", 0.3, Check.UnitOpen, Check.UnitOpenText), f.Choice("anneal_strategy", "cos", "anneal strategy", ["cos", "linear"]),
                        f.Number("div_factor", 25, Check.Positive, Check.PositiveText), f.Number("final_div_factor", 1e4, Check.Positive, Check.PositiveText),
                        f.Bool("three_phase", false), f.Bool("cycle_momentum", true),
                        f.Number("base_momentum", 0.85, Check.NonNegative, Check.NonNegativeText), f.Number("max_momentum", 0.95, Check.NonNegative, Check.NonNegativeText));
                }
            case "reduce_on_plateau":
                {
                    var f = Fields("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps");
                    return new ReduceOnPlateauScheduleSpec(
                        f.Choice("mode", "min", "mode", ["min", "max"]), f.Number("factor", 0.1, Check.UnitOpen, Check.UnitOpenText), f.Int("patience", 10, 0),
                        f.Number("threshold", 1e-4, Check.NonNegative, Check.NonNegativeText), f.Choice("threshold_mode", "rel", "threshold mode", ["rel", "abs"]),
                        f.Int("cooldown", 0, 0), f.Number("min_lr", 0, Check.NonNegative, Check.NonNegativeText), f.Number("eps", 1e-8, Check.NonNegative, Check.NonNegativeText));
                }
            default:
                {
                    var f = Fields("start_factor", "warmup_steps", "inner");
                    var inner = f.Optional("inner") is { } e ? Parse(reader, e, f.PathOf("inner")) : null;
                    if (inner is WarmupScheduleSpec or ReduceOnPlateauScheduleSpec)
                    {
                        throw reader.Error(SpecReader.Child(f.PathOf("inner"), "type"), $"a warmup cannot wrap a {inner.Type} schedule");
                    }
                    return new WarmupScheduleSpec(f.Number("start_factor", 1.0 / 3, v => v > 0 && v <= 1, "a number in (0, 1]"), f.RequiredInt("warmup_steps"), inner);
                }
        }
    }
}

/// <summary>step (StepLR): lr·gamma^⌊t / step_size⌋. Fields: step_size (required), gamma (0.1).</summary>
public sealed record StepScheduleSpec(int StepSize, double Gamma = 0.1) : ScheduleSpec
{
    public override string Type => "step";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("step_size", StepSize);
        json.WriteNumber("gamma", Gamma);
    }
}

/// <summary>multi_step (MultiStepLR): lr·gamma^(milestones passed). Fields: milestones (required, non-decreasing), gamma (0.1).</summary>
public sealed record MultiStepScheduleSpec(IReadOnlyList<int> Milestones, double Gamma = 0.1) : ScheduleSpec
{
    public override string Type => "multi_step";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteStartArray("milestones");
        foreach (int milestone in Milestones)
        {
            json.WriteNumberValue(milestone);
        }
        json.WriteEndArray();
        json.WriteNumber("gamma", Gamma);
    }

    public bool Equals(MultiStepScheduleSpec? other) => other is not null && Gamma == other.Gamma && Milestones.SequenceEqual(other.Milestones);

    public override int GetHashCode() => HashCode.Combine(Gamma, Milestones.Count);
}

/// <summary>exponential (ExponentialLR): lr·gamma^t. Field: gamma (required).</summary>
public sealed record ExponentialScheduleSpec(double Gamma) : ScheduleSpec
{
    public override string Type => "exponential";

    internal override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("gamma", Gamma);
}

/// <summary>cosine (CosineAnnealingLR). Fields: t_max (required), eta_min (0).</summary>
public sealed record CosineScheduleSpec(int TMax, double EtaMin = 0) : ScheduleSpec
{
    public override string Type => "cosine";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("t_max", TMax);
        json.WriteNumber("eta_min", EtaMin);
    }
}

/// <summary>warm_restarts (CosineAnnealingWarmRestarts; "cosine_warm_restarts" too). Fields: t_0 (required), t_mult (1), eta_min (0).</summary>
public sealed record WarmRestartsScheduleSpec(int T0, int TMult = 1, double EtaMin = 0) : ScheduleSpec
{
    public override string Type => "warm_restarts";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("t_0", T0);
        json.WriteNumber("t_mult", TMult);
        json.WriteNumber("eta_min", EtaMin);
    }
}

/// <summary>
/// one_cycle (OneCycleLR). Fields: max_lr (default: the optimizer's lr), total_steps (default: epochs
/// × batches per epoch), pct_start (0.3), anneal_strategy ("cos" or "linear"), div_factor (25),
/// final_div_factor (1e4), three_phase (false), cycle_momentum (true), base_momentum (0.85), max_momentum (0.95).
/// </summary>
public sealed record OneCycleScheduleSpec(
    double? MaxLr = null, int? TotalSteps = null, double PctStart = 0.3, string AnnealStrategy = "cos",
    double DivFactor = 25, double FinalDivFactor = 1e4, bool ThreePhase = false,
    bool CycleMomentum = true, double BaseMomentum = 0.85, double MaxMomentum = 0.95) : ScheduleSpec
{
    public override string Type => "one_cycle";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        DataSpec.WriteOptional(json, "max_lr", MaxLr);
        DataSpec.WriteOptional(json, "total_steps", TotalSteps);
        json.WriteNumber("pct_start", PctStart);
        json.WriteString("anneal_strategy", AnnealStrategy);
        json.WriteNumber("div_factor", DivFactor);
        json.WriteNumber("final_div_factor", FinalDivFactor);
        json.WriteBoolean("three_phase", ThreePhase);
        json.WriteBoolean("cycle_momentum", CycleMomentum);
        json.WriteNumber("base_momentum", BaseMomentum);
        json.WriteNumber("max_momentum", MaxMomentum);
    }
}

/// <summary>
/// reduce_on_plateau (ReduceLROnPlateau; "plateau" too). Fields: mode ("min"), factor (0.1), patience
/// (10), threshold (1e-4), threshold_mode ("rel"), cooldown (0), min_lr (0), eps (1e-8).
/// </summary>
public sealed record ReduceOnPlateauScheduleSpec(
    string Mode = "min", double Factor = 0.1, int Patience = 10, double Threshold = 1e-4, string ThresholdMode = "rel",
    int Cooldown = 0, double MinLr = 0, double Eps = 1e-8) : ScheduleSpec
{
    public override string Type => "reduce_on_plateau";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteString("mode", Mode);
        json.WriteNumber("factor", Factor);
        json.WriteNumber("patience", Patience);
        json.WriteNumber("threshold", Threshold);
        json.WriteString("threshold_mode", ThresholdMode);
        json.WriteNumber("cooldown", Cooldown);
        json.WriteNumber("min_lr", MinLr);
        json.WriteNumber("eps", Eps);
    }
}

/// <summary>
/// warmup: LinearLR from start_factor·lr to lr over warmup_steps, then the inner schedule from its
/// step 0 (constant lr without one). Fields: start_factor (1/3, as LinearLR), warmup_steps
/// (required), inner (optional; not a warmup or reduce_on_plateau).
/// </summary>
public sealed record WarmupScheduleSpec(double StartFactor, int WarmupSteps, ScheduleSpec? Inner = null) : ScheduleSpec
{
    public override string Type => "warmup";

    internal override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("start_factor", StartFactor);
        json.WriteNumber("warmup_steps", WarmupSteps);
        if (Inner is not null)
        {
            json.WritePropertyName("inner");
            Inner.Write(json);
        }
    }
}
