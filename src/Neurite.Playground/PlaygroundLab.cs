using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Models;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Playground;

/// <summary>
/// The page's lessons that need no session: the perceptron learning rule on logic gates, a 1-D
/// universal-approximation fit with its ReLU hinges, and every activation with its derivative.
/// Each runs on the engine and returns JSON for the page.
/// </summary>
public static class PlaygroundLab
{
    /// <summary>Gates for the perceptron lesson: the four inputs of two bits and their outputs.</summary>
    public static readonly IReadOnlyDictionary<string, int[]> Gates = new Dictionary<string, int[]>
    {
        ["and"] = [0, 0, 0, 1],
        ["or"] = [0, 1, 1, 1],
        ["nand"] = [1, 1, 1, 0],
        ["xor"] = [0, 1, 1, 0],
    };

    /// <summary>Functions the universal-approximation lesson fits on [−3, 3].</summary>
    public static readonly IReadOnlyDictionary<string, Func<double, double>> Functions = new Dictionary<string, Func<double, double>>
    {
        ["sin"] = x => Math.Sin(2 * x),
        ["abs"] = Math.Abs,
        ["square"] = x => (x * x / 4.5) - 1,
        ["step"] = x => x >= 0 ? 1 : -1,
        ["bump"] = x => 2 * Math.Exp(-2 * x * x) - 1,
        ["sawtooth"] = x => (2 * ((x + 3) / 1.5 - Math.Floor((x + 3) / 1.5))) - 1,
    };

    private static readonly float[][] GateInputs = [[0, 0], [0, 1], [1, 0], [1, 1]];

    /// <summary>
    /// A thumbnail of a generated data set: up to 160 of its points without noise, for the page's
    /// data set buttons; <paramref name="classes"/> is 2 for a binary problem's set, 3 to 5 for a multi-class one.
    /// </summary>
    public static JsonObject Preview(string dataset, int classes)
    {
        var names = PlaygroundConfig.DatasetsByProblem.Values.SelectMany(d => d).Where(d => d != "custom").Distinct().ToArray();
        if (!names.Contains(dataset))
        {
            throw new PlaygroundValidationException($"dataset: '{dataset}' is not one of {string.Join(", ", names)}");
        }
        CheckRange("classes", classes, 2, 5);
        var points = PlaygroundRun.Generate(dataset, 0, classes, new Generator(1));
        int stride = Math.Max(1, points.Length / 160);
        return new JsonObject
        {
            ["dataset"] = dataset,
            ["points"] = new JsonArray(points.Where((_, i) => i % stride == 0)
                .Select(p => (JsonNode?)new JsonArray(p.X1, p.X2, p.Label)).ToArray()),
        };
    }

    /// <summary>
    /// Rosenblatt's rule (<see cref="Perceptron"/>) on a gate: w and b after every epoch, so the
    /// page can move the line w₁x₁ + w₂x₂ + b = 0; XOR never converges.
    /// </summary>
    public static JsonObject Perceptron(string gate, double learningRate, int maxEpochs)
    {
        if (!Gates.TryGetValue(gate, out var labels))
        {
            throw new PlaygroundValidationException($"gate: '{gate}' is not one of {string.Join(", ", Gates.Keys)}");
        }
        CheckRange("learningRate", learningRate, 0.01, 10);
        CheckRange("epochs", maxEpochs, 1, 200);
        var perceptron = new Perceptron(2);
        var epochs = new JsonArray();
        var result = perceptron.Train(Tensor.From(GateInputs.SelectMany(x => x).ToArray(), [4, 2]), labels, (float)learningRate, maxEpochs,
            (epoch, mistakes) => epochs.Add(new JsonObject
            {
                ["epoch"] = epoch,
                ["w"] = new JsonArray(perceptron.Weights[0], perceptron.Weights[1]),
                ["b"] = perceptron.Bias,
                ["mistakes"] = mistakes,
            }));
        return new JsonObject
        {
            ["gate"] = gate,
            ["points"] = new JsonArray(GateInputs.Select((x, i) => (JsonNode?)new JsonArray(x[0], x[1], labels[i])).ToArray()),
            ["converged"] = result.Converged,
            ["summary"] = result.Summary,
            ["epochs"] = epochs,
        };
    }

    /// <summary>
    /// Fits y = f(x) on [−3, 3] with one hidden layer of <paramref name="units"/> ReLUs (Adam,
    /// squared loss) and returns the fit and each unit's contribution vⱼ·ReLU(wⱼx + bⱼ), a hinge
    /// at x = −bⱼ/wⱼ, at a few points of the training. The hinges start evenly spread over [−3, 3],
    /// facing right (wⱼ = 1), so that every unit is alive on part of the range (PyTorch's default puts
    /// the hinges near 0 with random sides, and dead units leave part of the function unfitted); the
    /// seed draws the output weights.
    /// </summary>
    public static JsonObject Approximate(string function, int units, int epochs, int seed)
    {
        if (!Functions.TryGetValue(function, out var f))
        {
            throw new PlaygroundValidationException($"function: '{function}' is not one of {string.Join(", ", Functions.Keys)}");
        }
        CheckRange("units", units, 1, 32);
        CheckRange("epochs", epochs, 1, 5000);
        const int Points = 121;
        var xs = Enumerable.Range(0, Points).Select(i => -3f + (6f * i / (Points - 1))).ToArray();
        var ys = xs.Select(x => (float)f(x)).ToArray();
        var rng = new Generator((ulong)seed);
        var hidden = new Linear(1, units, rng: rng);
        var output = new Linear(units, 1, rng: rng);
        for (int j = 0; j < units; j++)
        {
            // ReLU(x − cⱼ): wⱼ = 1, bⱼ = −cⱼ, at the start of the j-th of `units` equal parts of [−3, 3].
            hidden.Weight.Data[j] = 1f;
            hidden.Bias!.Data[j] = 3f - (6f * j / units);
        }
        var model = new Sequential(hidden, new ReLU(), output);
        var optimizer = new Adam(model.Parameters(), new AdamOptions(Lr: 0.01));
        var input = Tensor.From(xs, [Points, 1]);
        var target = Tensor.From(ys, [Points, 1]);
        var frames = new JsonArray();
        var snapshotAt = new HashSet<int> { 0, epochs };
        for (int k = 1; k < 10; k++)
        {
            snapshotAt.Add(epochs * k / 10);
        }
        for (int epoch = 0; epoch <= epochs; epoch++)
        {
            if (snapshotAt.Contains(epoch))
            {
                frames.Add(Frame(epoch, hidden, output, model, input, target, xs));
            }
            if (epoch == epochs)
            {
                break;
            }
            optimizer.ZeroGrad();
            Losses.Mse(model.Call(input), target).Backward();
            optimizer.Step();
        }
        return new JsonObject
        {
            ["function"] = function,
            ["x"] = Floats(xs),
            ["y"] = Floats(ys),
            ["frames"] = frames,
        };
    }

    private static JsonObject Frame(int epoch, Linear hidden, Linear output, Sequential model, Tensor input, Tensor target, float[] xs)
    {
        using var _ = Graph.NoGrad();
        var fit = model.Call(input);
        var hinges = new JsonArray();
        for (int j = 0; j < hidden.OutFeatures; j++)
        {
            float w = hidden.Weight.Data[j], b = hidden.Bias!.Data[j], v = output.Weight.Data[j];
            hinges.Add(new JsonObject
            {
                ["at"] = w == 0 ? null : -b / w,
                ["values"] = Floats(xs.Select(x => v * MathF.Max(0, (w * x) + b)).ToArray()),
            });
        }
        return new JsonObject
        {
            ["epoch"] = epoch,
            ["loss"] = Losses.Mse(fit, target).Item(),
            ["fit"] = Floats(fit.ToArray()),
            ["bias"] = output.Bias!.Data[0],
            ["hinges"] = hinges,
        };
    }

    /// <summary>
    /// Every hidden-layer activation f and its derivative f′ on [−5, 5], both from the engine (f′
    /// by autograd), with the range of f and where it saturates (|f′| below 5 % of its peak).
    /// </summary>
    public static JsonObject Activations()
    {
        const int Points = 201;
        var xs = Enumerable.Range(0, Points).Select(i => -5f + (10f * i / (Points - 1))).ToArray();
        var result = new JsonObject { ["x"] = Floats(xs) };
        var list = new JsonArray();
        foreach (string name in PlaygroundConfig.ActivationNames)
        {
            var x = Tensor.From(xs, requiresGrad: true);
            var y = PlaygroundConfig.ActivationType(name) is { } type ? Layer(type).Call(x) : Ops.Mul(x, 1f);
            Ops.Sum(y).Backward();
            var dy = x.Grad?.ToArray() ?? new float[Points];
            float peak = dy.Max(MathF.Abs);
            list.Add(new JsonObject
            {
                ["name"] = name,
                ["y"] = Floats(y.ToArray()),
                ["dy"] = Floats(dy),
                ["range"] = Ranges[name],
                ["saturated"] = new JsonArray(dy.Select(d => (JsonNode?)(peak == 0 || MathF.Abs(d) < 0.05f * peak)).ToArray()),
            });
        }
        result["activations"] = list;
        return result;
    }

    /// <summary>The module of a layer type with its default fields, built by the spec's layer code.</summary>
    private static Module Layer(string type) => new ModelSpec([1], [LayerRegistry.Default(type)]).Build();

    private static readonly Dictionary<string, string> Ranges = new()
    {
        ["step"] = "{0, 1}",
        ["sigmoid"] = "(0, 1)",
        ["tanh"] = "(−1, 1)",
        ["relu"] = "[0, ∞)",
        ["leaky_relu"] = "(−∞, ∞)",
        ["gelu"] = "[≈ −0.17, ∞)",
        ["silu"] = "[≈ −0.28, ∞)",
        ["linear"] = "(−∞, ∞)",
    };

    private static JsonArray Floats(float[] values) => new(values.Select(v => (JsonNode?)v).ToArray());

    private static void CheckRange(string name, double value, double low, double high)
    {
        if (!(value >= low && value <= high))
        {
            throw new PlaygroundValidationException(
                $"{name}: must be from {low.ToString(CultureInfo.InvariantCulture)} to {high.ToString(CultureInfo.InvariantCulture)}; got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
