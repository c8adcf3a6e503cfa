using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Optim;

namespace Neurite.Playground;

/// <summary>A setting from the page that the server refuses; the message names the setting and says what is allowed.</summary>
public sealed class PlaygroundValidationException(string message) : Exception(message);

/// <summary>
/// Everything that defines a Playground run: the data, the network and how it trains. The page
/// sends it as JSON (camelCase names, the same names as in the page's URL); <see cref="Merge"/>
/// validates every field.
/// </summary>
public sealed record PlaygroundConfig
{
    /// <summary>Largest number of hidden layers.</summary>
    public const int MaxHiddenLayers = 6;

    /// <summary>Largest number of neurons in a hidden layer.</summary>
    public const int MaxNeurons = 8;

    /// <summary>Problem types: binary classification (see <see cref="Loss"/>), regression (squared loss), multi-class (softmax, cross-entropy).</summary>
    public static readonly string[] Problems = ["classification", "regression", "multiclass"];

    /// <summary>Data sets by problem type.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> DatasetsByProblem = new Dictionary<string, string[]>
    {
        ["classification"] = ["circles", "xor", "gaussians", "spirals", "custom"],
        ["regression"] = ["plane", "multi-gaussian", "custom"],
        ["multiclass"] = ["blobs", "spirals", "custom"],
    };

    /// <summary>Input features, as the page names them.</summary>
    public static readonly string[] FeatureNames = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"];

    /// <summary>Activation functions a hidden layer can use.</summary>
    public static readonly string[] ActivationNames = ["step", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu", "linear"];

    /// <summary>Optimizers: plain SGD, SGD with momentum 0.9, Adam.</summary>
    public static readonly string[] OptimizerNames = ["sgd", "momentum", "adam"];

    /// <summary>Weight initializations: PyTorch's Linear default, Xavier (Glorot) uniform, He (Kaiming) uniform, zeros.</summary>
    public static readonly string[] InitNames = ["default", "xavier", "he", "zeros"];

    /// <summary>Learning-rate schedules: constant, halved every 100 epochs, ×0.99 per epoch, cosine to 1 % over 500 epochs.</summary>
    public static readonly string[] ScheduleNames = ["constant", "step", "exponential", "cosine"];

    /// <summary>
    /// Losses of binary classification: a sigmoid output with binary cross-entropy against labels 0/1 (as the seeds
    /// teach), or TensorFlow Playground's tanh output with the squared loss against ±1.
    /// </summary>
    public static readonly string[] LossNames = ["cross_entropy", "mse"];

    /// <summary>Regularization penalties added to the loss.</summary>
    public static readonly string[] RegularizationNames = ["none", "l1", "l2"];

    /// <summary>One of <see cref="Problems"/>.</summary>
    public string Problem { get; init; } = "classification";

    /// <summary>One of <see cref="LossNames"/>; only binary classification reads it (regression is always the squared loss, multi-class always softmax with cross-entropy).</summary>
    public string Loss { get; init; } = "cross_entropy";

    /// <summary>Whether the network ends in a sigmoid trained with binary cross-entropy (binary classification with <see cref="Loss"/> cross_entropy).</summary>
    public bool SigmoidOutput => Problem == "classification" && Loss == "cross_entropy";

    /// <summary>A generated data set, or "custom" for the person's own points (which the session holds, not the configuration).</summary>
    public string Dataset { get; init; } = "circles";

    /// <summary>Classes of a multi-class data set, 3 to 5.</summary>
    public int Classes { get; init; } = 3;

    /// <summary>Noise in percent, 0 to 50.</summary>
    public int Noise { get; init; }

    /// <summary>Share of the points used for training, in percent, 10 to 90.</summary>
    public int TrainRatio { get; init; } = 50;

    /// <summary>Samples per optimizer step, 1 to 100.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>The input features, a non-empty subset of <see cref="FeatureNames"/> in that order.</summary>
    public IReadOnlyList<string> Features { get; init; } = ["x1", "x2"];

    /// <summary>Neurons per hidden layer, input side first.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [4, 2];

    /// <summary>The activation of every hidden layer that <see cref="LayerActivations"/> does not set.</summary>
    public string Activation { get; init; } = "tanh";

    /// <summary>Per-layer activations; empty entries (or a shorter list) fall back to <see cref="Activation"/>.</summary>
    public IReadOnlyList<string> LayerActivations { get; init; } = [];

    /// <summary>The optimizer's learning rate at epoch 0, in (0, 10].</summary>
    public double LearningRate { get; init; } = 0.03;

    /// <summary>One of <see cref="RegularizationNames"/>: a penalty on the weights (not the biases) added to the loss.</summary>
    public string Regularization { get; init; } = "none";

    /// <summary>λ of the penalty: λ·Σ|w| (L1) or λ·½Σw² (L2), 0 to 10.</summary>
    public double RegularizationRate { get; init; }

    /// <summary>One of <see cref="OptimizerNames"/>.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>One of <see cref="InitNames"/>.</summary>
    public string Init { get; init; } = "default";

    /// <summary>One of <see cref="ScheduleNames"/>; see <see cref="LearningRateAt"/>.</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Dropout probability after every hidden activation, 0 to 0.9.</summary>
    public double Dropout { get; init; }

    /// <summary>Batch normalization before every hidden activation.</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Seeds the data and the initial weights.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The learning rate of epoch <paramref name="epoch"/> (from 0) under <see cref="Schedule"/>.</summary>
    public double LearningRateAt(int epoch) => Schedule switch
    {
        "step" => new StepLR(100, 0.5).At(epoch, LearningRate),
        "exponential" => new ExponentialLR(0.99).At(epoch, LearningRate),
        // Down to 1 % over 500 epochs, then held there.
        "cosine" => new CosineAnnealingLR(500, 0.01 * LearningRate).At(Math.Min(epoch, 500), LearningRate),
        _ => LearningRate,
    };

    /// <summary>The spec's layer type of an activation the page names; null for "linear", which adds no layer.</summary>
    public static string? ActivationType(string activation) => activation == "linear" ? null : activation;

    /// <summary>The activation hidden layer <paramref name="layer"/> uses.</summary>
    public string ActivationOf(int layer) =>
        layer < LayerActivations.Count && LayerActivations[layer].Length > 0 ? LayerActivations[layer] : Activation;

    /// <summary>Outputs of the network: 1, or the number of classes.</summary>
    public int Outputs => Problem == "multiclass" ? Classes : 1;

    /// <summary>
    /// This configuration with the fields of <paramref name="json"/> (a JSON object, possibly
    /// partial) applied; every field is checked, unknown names are refused.
    /// </summary>
    /// <exception cref="PlaygroundValidationException">A field is unknown, of the wrong type or out of range.</exception>
    public PlaygroundConfig Merge(JsonObject json)
    {
        var c = this;
        foreach (var (name, value) in json)
        {
            c = name switch
            {
                "problem" => c with { Problem = OneOf(name, value, Problems) },
                "loss" => c with { Loss = OneOf(name, value, LossNames) },
                "dataset" => c with { Dataset = OneOf(name, value, DatasetsByProblem.Values.SelectMany(d => d).Distinct().ToArray()) },
                "classes" => c with { Classes = Integer(name, value, 3, 5) },
                "noise" => c with { Noise = Integer(name, value, 0, 50) },
                "trainRatio" => c with { TrainRatio = Integer(name, value, 10, 90) },
                "batchSize" => c with { BatchSize = Integer(name, value, 1, 100) },
                "features" => c with { Features = FeatureList(name, value) },
                "hidden" => c with { Hidden = HiddenList(name, value) },
                "activation" => c with { Activation = OneOf(name, value, ActivationNames) },
                "layerActivations" => c with { LayerActivations = LayerActivationList(name, value) },
                "learningRate" => c with { LearningRate = Number(name, value, 0, 10, lowExclusive: true) },
                "regularization" => c with { Regularization = OneOf(name, value, RegularizationNames) },
                "regularizationRate" => c with { RegularizationRate = Number(name, value, 0, 10, lowExclusive: false) },
                "optimizer" => c with { Optimizer = OneOf(name, value, OptimizerNames) },
                "init" => c with { Init = OneOf(name, value, InitNames) },
                "schedule" => c with { Schedule = OneOf(name, value, ScheduleNames) },
                "dropout" => c with { Dropout = Number(name, value, 0, 0.9, lowExclusive: false) },
                "batchNorm" => c with { BatchNorm = Boolean(name, value) },
                "seed" => c with { Seed = Integer(name, value, 0, int.MaxValue) },
                _ => throw new PlaygroundValidationException($"unknown setting '{name}'"),
            };
        }
        if (!DatasetsByProblem[c.Problem].Contains(c.Dataset))
        {
            throw new PlaygroundValidationException(
                $"dataset: '{c.Dataset}' is not a {c.Problem} data set; choose one of {string.Join(", ", DatasetsByProblem[c.Problem])}");
        }
        return c;
    }

    /// <summary>This configuration as the JSON object <see cref="Merge"/> reads.</summary>
    public JsonObject ToJson() => new()
    {
        ["problem"] = Problem,
        ["loss"] = Loss,
        ["dataset"] = Dataset,
        ["classes"] = Classes,
        ["noise"] = Noise,
        ["trainRatio"] = TrainRatio,
        ["batchSize"] = BatchSize,
        ["features"] = new JsonArray(Features.Select(f => (JsonNode?)f).ToArray()),
        ["hidden"] = new JsonArray(Hidden.Select(h => (JsonNode?)h).ToArray()),
        ["activation"] = Activation,
        ["layerActivations"] = new JsonArray(LayerActivations.Select(a => (JsonNode?)a).ToArray()),
        ["learningRate"] = LearningRate,
        ["regularization"] = Regularization,
        ["regularizationRate"] = RegularizationRate,
        ["optimizer"] = Optimizer,
        ["init"] = Init,
        ["schedule"] = Schedule,
        ["dropout"] = Dropout,
        ["batchNorm"] = BatchNorm,
        ["seed"] = Seed,
    };

    /// <summary>A JSON number as a double, whether it was parsed from text or built in code; null for anything else.</summary>
    internal static double? AsDouble(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.Number
            && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;

    private static string Describe(JsonNode? value) => value is null ? "null" : value.ToJsonString();

    private static string OneOf(string name, JsonNode? value, string[] allowed)
    {
        if (value is JsonValue v && v.TryGetValue(out string? s) && allowed.Contains(s))
        {
            return s;
        }
        throw new PlaygroundValidationException($"{name}: {Describe(value)} is not one of {string.Join(", ", allowed)}");
    }

    private static int Integer(string name, JsonNode? value, int low, int high)
    {
        if (value is JsonValue v && AsDouble(v) is { } d && d == Math.Floor(d) && d >= low && d <= high)
        {
            return (int)d;
        }
        string range = high == int.MaxValue ? $"an integer >= {low}" : $"an integer from {low} to {high}";
        throw new PlaygroundValidationException($"{name}: must be {range}; got {Describe(value)}");
    }

    private static double Number(string name, JsonNode? value, double low, double high, bool lowExclusive)
    {
        if (value is JsonValue v && AsDouble(v) is { } d && double.IsFinite(d) && (lowExclusive ? d > low : d >= low) && d <= high)
        {
            return d;
        }
        string lowText = low.ToString(CultureInfo.InvariantCulture), highText = high.ToString(CultureInfo.InvariantCulture);
        string range = lowExclusive ? $"a finite number > {lowText} and <= {highText}" : $"a finite number from {lowText} to {highText}";
        throw new PlaygroundValidationException($"{name}: must be {range}; got {Describe(value)}");
    }

    private static bool Boolean(string name, JsonNode? value)
    {
        if (value is JsonValue v && v.TryGetValue(out bool b))
        {
            return b;
        }
        throw new PlaygroundValidationException($"{name}: must be true or false; got {Describe(value)}");
    }

    private static JsonArray Array(string name, JsonNode? value, int max, string what)
    {
        if (value is not JsonArray array)
        {
            throw new PlaygroundValidationException($"{name}: must be a list of {what}; got {Describe(value)}");
        }
        if (array.Count > max)
        {
            throw new PlaygroundValidationException($"{name}: at most {max} entries; got {array.Count}");
        }
        return array;
    }

    private static string[] FeatureList(string name, JsonNode? value)
    {
        var array = Array(name, value, FeatureNames.Length, "feature names");
        var features = array.Select(f => OneOf(name, f, FeatureNames)).Distinct().ToArray();
        if (features.Length == 0)
        {
            throw new PlaygroundValidationException($"{name}: pick at least one input feature");
        }
        // Keep the page's canonical order, so that a link gives the same network whatever the click order.
        return FeatureNames.Where(features.Contains).ToArray();
    }

    private static int[] HiddenList(string name, JsonNode? value) =>
        Array(name, value, MaxHiddenLayers, "neuron counts")
            .Select(h => Integer($"{name} (neurons per layer)", h, 1, MaxNeurons)).ToArray();

    private static string[] LayerActivationList(string name, JsonNode? value) =>
        Array(name, value, MaxHiddenLayers, "activation names")
            .Select(a => a is JsonValue v && v.TryGetValue(out string? s) && s.Length == 0 ? "" : OneOf(name, a, ActivationNames))
            .ToArray();
}
