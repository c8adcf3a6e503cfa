using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Playground;

/// <summary>
/// A network a learner pastes with any number of inputs, as a worked example writes it, and its forward pass computed
/// by the library: each layer a Linear and its activation, built from a Neurite model spec.
/// </summary>
/// <remarks>
/// The text is one <c>name = values</c> per line; a matrix's rows are separated by <c>;</c>, its values by commas or
/// spaces; <c>#</c> starts a comment. <c>x</c>: the inputs, one row per sample (a small table); <c>W1</c>, <c>b1</c>,
/// <c>W2</c>, <c>b2</c>, …: each layer's weights (a row per neuron, a column per input) and biases, input side first
/// (<c>w</c> and <c>b</c> alone mean layer 1); <c>activation</c>: the hidden layers' (default relu); <c>output</c>:
/// the last layer's (default linear). Seed 002's example 1 is <c>x = 2, 3, -1</c>, <c>w = 0.5, -0.2, 0.8</c>,
/// <c>b = 0.1</c>, <c>output = relu</c>.
/// </remarks>
public sealed class PastedNetwork
{
    /// <summary>The most inputs, neurons per layer, layers and samples a paste may have.</summary>
    public const int MaxWidth = 64, MaxLayers = 8, MaxSamples = 32;

    private PastedNetwork(float[][] inputs, float[][][] weights, float[][] biases, string hidden, string output)
    {
        Inputs = inputs;
        Weights = weights;
        Biases = biases;
        Activations = [.. Enumerable.Range(0, weights.Length).Select(l => l == weights.Length - 1 ? output : hidden)];
        Spec = new ModelSpec([inputs[0].Length], [.. weights.SelectMany((w, l) =>
            PlaygroundConfig.ActivationType(Activations[l]) is { } f
                ? new[] { new LinearSpec(w.Length), LayerRegistry.Default(f) }
                : new LayerSpec[] { new LinearSpec(w.Length) })]);
    }

    /// <summary>The samples, one row of inputs each.</summary>
    public float[][] Inputs { get; }

    /// <summary>W of every layer, [out][in], input side first.</summary>
    public float[][][] Weights { get; }

    /// <summary>b of every layer.</summary>
    public float[][] Biases { get; }

    /// <summary>Each layer's activation (the page's names: relu, sigmoid, linear, …).</summary>
    public IReadOnlyList<string> Activations { get; }

    /// <summary>The network as a Neurite model spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Reads a pasted network (see the remarks for the format).</summary>
    /// <exception cref="PlaygroundValidationException">A line, a value or a shape is wrong; the message names the line or the layer.</exception>
    public static PastedNetwork Parse(string text)
    {
        var values = new Dictionary<string, float[][]>();
        string hidden = "relu", output = "linear";
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            int equals = line.IndexOf('=');
            if (equals < 1)
            {
                throw new PlaygroundValidationException($"line {n + 1}: expected name = values (x, W1, b1, …, activation, output); got '{Short(line)}'");
            }
            string name = line[..equals].Trim(), value = line[(equals + 1)..].Trim();
            string key = name.ToLowerInvariant() switch { "w" => "w1", "b" => "b1", var k => k };
            if (key is "activation" or "output")
            {
                if (!PlaygroundConfig.ActivationNames.Contains(value.ToLowerInvariant()))
                {
                    throw new PlaygroundValidationException($"line {n + 1}: {key} must be one of {string.Join(", ", PlaygroundConfig.ActivationNames)}; got '{Short(value)}'");
                }
                (hidden, output) = key == "activation" ? (value.ToLowerInvariant(), output) : (hidden, value.ToLowerInvariant());
                continue;
            }
            if (key != "x" && !(key.Length >= 2 && key[0] is 'w' or 'b' && int.TryParse(key[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int l) && l is >= 1 and <= MaxLayers))
            {
                throw new PlaygroundValidationException($"line {n + 1}: unknown name '{Short(name)}'; known: x, W1 … W{MaxLayers}, b1 … b{MaxLayers} (w and b for layer 1), activation, output");
            }
            if (!values.TryAdd(key, Matrix(value, n + 1, name)))
            {
                throw new PlaygroundValidationException($"line {n + 1}: {name} is given twice");
            }
        }
        if (!values.TryGetValue("x", out var inputs))
        {
            throw new PlaygroundValidationException("no inputs: add a line x = x₁, x₂, … (rows separated by ; for several samples)");
        }
        if (inputs.Length > MaxSamples)
        {
            throw new PlaygroundValidationException($"x: at most {MaxSamples} samples; got {inputs.Length}");
        }
        int layers = 0;
        while (values.ContainsKey($"w{layers + 1}"))
        {
            layers++;
        }
        if (layers == 0)
        {
            throw new PlaygroundValidationException("no weights: add W1 = … (one row per neuron of layer 1, one column per input)");
        }
        if (values.Keys.FirstOrDefault(k => k != "x" && int.Parse(k[1..], CultureInfo.InvariantCulture) > layers) is { } stray)
        {
            throw new PlaygroundValidationException($"{stray[0].ToString().ToUpperInvariant()}{stray[1..]} is given but W{layers + 1} is not; layers are numbered from 1 without gaps");
        }
        var weights = new float[layers][][];
        var biases = new float[layers][];
        int width = inputs[0].Length;
        for (int l = 0; l < layers; l++)
        {
            var w = values[$"w{l + 1}"];
            if (w[0].Length != width)
            {
                string from = l == 0 ? $"x has {width} inputs" : $"layer {l} has {width} neurons";
                throw new PlaygroundValidationException($"W{l + 1}: each row needs {width} weights ({from}); got {w[0].Length}");
            }
            var b = values.TryGetValue($"b{l + 1}", out var given) ? given : [new float[w.Length]];
            if (b.Length == w.Length && b.All(r => r.Length == 1))
            {
                b = [[.. b.Select(r => r[0])]]; // a column vector, as the worked examples write b
            }
            if (b.Length != 1 || b[0].Length != w.Length)
            {
                throw new PlaygroundValidationException($"b{l + 1}: needs {w.Length} values, one per neuron of W{l + 1}; got {b.Sum(r => r.Length)}");
            }
            weights[l] = w;
            biases[l] = b[0];
            width = w.Length;
        }
        return new PastedNetwork(inputs, weights, biases, hidden, output);
    }

    /// <summary>Rows separated by ';', values by ',' or spaces; every row as long as the first; finite numbers within ±1000.</summary>
    private static float[][] Matrix(string text, int line, string name)
    {
        var rows = text.Trim('[', ']', ' ').Split(';').Select(r => r.Trim(' ', '[', ']')).Where(r => r.Length > 0).ToArray();
        if (rows.Length == 0 || rows.Length > MaxWidth)
        {
            throw new PlaygroundValidationException($"line {line}: {name} needs from 1 to {MaxWidth} rows of numbers; got {rows.Length}");
        }
        var matrix = rows.Select(r => r.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(v =>
            float.TryParse(v.Replace('−', '-'), NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f) && MathF.Abs(f) <= 1000
                ? f
                : throw new PlaygroundValidationException($"line {line}: {name}: '{Short(v)}' is not a number from -1000 to 1000")).ToArray()).ToArray();
        if (matrix.Any(r => r.Length != matrix[0].Length) || matrix[0].Length > MaxWidth)
        {
            throw new PlaygroundValidationException(
                $"line {line}: {name}: every row needs the same number of values, at most {MaxWidth}; got rows of {string.Join(", ", matrix.Select(r => r.Length))}");
        }
        return matrix;
    }

    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>
    /// The forward pass of every sample through the network the spec builds with these weights: z = W·a + b and
    /// a = f(z) per layer. As JSON for the page: the shapes, weights, activations, the spec and each sample's values.
    /// </summary>
    public JsonObject Forward()
    {
        var model = (Sequential)Spec.Build(new Generator(0));
        var linears = model.Layers.OfType<Linear>().ToArray();
        for (int l = 0; l < linears.Length; l++)
        {
            Weights[l].SelectMany(r => r).ToArray().CopyTo(linears[l].Weight.Data);
            Biases[l].CopyTo(linears[l].Bias!.Data);
        }
        model.Eval();
        var z = new List<Tensor>();
        var a = new List<Tensor>();
        using (Graph.NoGrad())
        {
            var x = Tensor.From([.. Inputs.SelectMany(r => r)], [Inputs.Length, Inputs[0].Length]);
            for (int i = 0; i < model.Layers.Count; i++)
            {
                x = model[i].Call(x);
                if (model[i] is Linear)
                {
                    z.Add(x);
                }
                if (i == model.Layers.Count - 1 || model[i + 1] is Linear)
                {
                    a.Add(x); // a layer's output: after its activation, or z itself for a linear one
                }
            }
        }
        JsonArray Row(ReadOnlySpan<float> values) => new([.. values.ToArray().Select(v => (JsonNode?)(float.IsFinite(v) ? v : null))]);
        JsonArray Rows(float[][] rows) => new([.. rows.Select(r => (JsonNode?)Row(r))]);
        JsonArray PerLayer(List<Tensor> tensors, int sample) =>
            new([.. tensors.Select(t => (JsonNode?)Row(t.Data.Slice(sample * t.Shape[1], t.Shape[1])))]);
        return new JsonObject
        {
            ["inputs"] = Inputs[0].Length,
            ["sizes"] = new JsonArray([.. Weights.Select(w => (JsonNode?)w.Length)]),
            ["weights"] = new JsonArray([.. Weights.Select(w => (JsonNode?)Rows(w))]),
            ["biases"] = Rows(Biases),
            ["activations"] = new JsonArray([.. Activations.Select(f => (JsonNode?)f)]),
            ["spec"] = JsonNode.Parse(Spec.ToJson()),
            ["samples"] = new JsonArray([.. Enumerable.Range(0, Inputs.Length).Select(s => (JsonNode?)new JsonObject
            {
                ["x"] = Row(Inputs[s]),
                ["z"] = PerLayer(z, s),
                ["a"] = PerLayer(a, s),
            })]),
        };
    }
}
