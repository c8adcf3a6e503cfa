using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Playground;

/// <summary>The values of one forward and backward pass for a single point, layer by layer.</summary>
/// <param name="Features">The input features of the point.</param>
/// <param name="Z">Pre-activation z = W·a + b of every neuron, per layer (hidden layers, then the output).</param>
/// <param name="A">Activation a = f(z) of every neuron, per layer (for multi-class output, the softmax).</param>
/// <param name="Delta">δ = ∂L/∂z of every neuron, per layer.</param>
/// <param name="WeightGrad">∂L/∂W per layer, [out][in].</param>
/// <param name="BiasGrad">∂L/∂b per layer.</param>
/// <param name="Loss">The loss of this point against <paramref name="Target"/>.</param>
/// <param name="Target">The label the backward pass used.</param>
/// <param name="Normalized">With batch norm, the normalized ẑ = γ(z − μ)/√(σ² + ε) + β of every hidden neuron (running statistics), per hidden layer; otherwise null.</param>
public sealed record PointTrace(
    float[] Features, float[][] Z, float[][] A, float[][] Delta, float[][][] WeightGrad, float[][] BiasGrad, float Loss, float Target,
    float[][]? Normalized);

/// <summary>
/// One Playground run on the real engine: the data set split into train and test, a
/// <see cref="Sequential"/> of <see cref="Linear"/> layers and activations, a loss and an
/// optimizer, trained one epoch at a time. Not thread-safe: one session drives it.
/// </summary>
public sealed class PlaygroundTrainer
{
    /// <summary>The heat maps cover [−<see cref="Extent"/>, <see cref="Extent"/>]² in both coordinates.</summary>
    public const float Extent = 6f;

    /// <summary>Heat map resolution: <see cref="GridSize"/>² points per neuron.</summary>
    public const int GridSize = 32;

    private readonly Generator _rng;
    private readonly Sequential _model;
    private readonly Linear[] _linears;
    private readonly int[] _neuronOutputs; // index in _model of the module whose output a hidden layer shows
    private readonly int[] _preActivations; // index in _model of each Linear (z before batch norm and activation)
    private readonly Optimizer _optimizer;
    private readonly float[] _trainFeatures, _testFeatures, _gridFeatures;
    private double[] _gradientNorms;

    /// <summary>Builds the data and the network of <paramref name="config"/>; <paramref name="initSeed"/> seeds the weights.</summary>
    public PlaygroundTrainer(PlaygroundConfig config, DataPoint[] train, DataPoint[] test, ulong initSeed)
    {
        Config = config;
        Train = train;
        Test = test;
        _rng = new Generator(initSeed);
        (_model, _linears, _neuronOutputs, _preActivations) = Build(config, _rng);
        _optimizer = config.Optimizer switch
        {
            "adam" => new Adam(_model.Parameters(), new AdamOptions(Lr: config.LearningRate)),
            "momentum" => new SGD(_model.Parameters(), new SGDOptions(config.LearningRate, Momentum: 0.9)),
            _ => new SGD(_model.Parameters(), new SGDOptions(config.LearningRate)),
        };
        _trainFeatures = FeatureMatrix(train.Select(p => (p.X1, p.X2)), config.Features);
        _testFeatures = FeatureMatrix(test.Select(p => (p.X1, p.X2)), config.Features);
        _gridFeatures = FeatureMatrix(GridPoints(), config.Features);
        _gradientNorms = new double[_linears.Length];
        Epoch = 0;
    }

    /// <summary>
    /// Splits a freshly generated data set of <paramref name="config"/>, or <paramref name="custom"/>
    /// points for the "custom" data set, into train and test (seeded by the configuration's seed).
    /// </summary>
    public static (DataPoint[] Train, DataPoint[] Test) MakeData(PlaygroundConfig config, IReadOnlyList<DataPoint>? custom = null)
    {
        var rng = new Generator((ulong)config.Seed);
        var points = config.Dataset == "custom"
            ? [.. custom ?? []]
            : Datasets.Generate(config.Dataset, config.Noise / 100f, config.Classes, rng);
        var order = rng.Permutation(points.Length);
        int trainCount = points.Length * config.TrainRatio / 100;
        return (order.Take(trainCount).Select(i => points[i]).ToArray(), order.Skip(trainCount).Select(i => points[i]).ToArray());
    }

    /// <summary>The configuration this run was built from.</summary>
    public PlaygroundConfig Config { get; }

    /// <summary>The training points.</summary>
    public DataPoint[] Train { get; }

    /// <summary>The held-out test points.</summary>
    public DataPoint[] Test { get; }

    /// <summary>Epochs trained so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>The network.</summary>
    public Sequential Model => _model;

    /// <summary>The Linear layers, input side first; the last one is the output layer.</summary>
    public IReadOnlyList<Linear> Linears => _linears;

    /// <summary>‖∂L/∂W‖ of each Linear layer after the last batch of the last epoch.</summary>
    public IReadOnlyList<double> GradientNorms => _gradientNorms;

    private static (Sequential, Linear[], int[], int[]) Build(PlaygroundConfig config, Generator rng)
    {
        var modules = new List<Module>();
        var linears = new List<Linear>();
        var outputs = new List<int>();
        var pre = new List<int>();
        int inputs = config.Features.Count;
        for (int layer = 0; layer < config.Hidden.Count; layer++)
        {
            var linear = new Linear(inputs, config.Hidden[layer], rng: rng);
            string activation = config.ActivationOf(layer);
            Initialize(linear, config.Init, activation, rng);
            pre.Add(modules.Count);
            modules.Add(linear);
            linears.Add(linear);
            if (config.BatchNorm)
            {
                modules.Add(new BatchNorm1d(config.Hidden[layer]));
            }
            if (Activation(activation) is { } module)
            {
                modules.Add(module);
            }
            outputs.Add(modules.Count - 1);
            if (config.Dropout > 0)
            {
                modules.Add(new Dropout((float)config.Dropout, rng));
            }
            inputs = config.Hidden[layer];
        }
        var output = new Linear(inputs, config.Outputs, rng: rng);
        Initialize(output, config.Init, config.Problem == "classification" ? "tanh" : "linear", rng);
        pre.Add(modules.Count);
        modules.Add(output);
        linears.Add(output);
        if (config.Problem == "classification")
        {
            // TensorFlow Playground's output: tanh against labels ±1 with the squared loss.
            modules.Add(new Tanh());
        }
        outputs.Add(modules.Count - 1);
        return (new Sequential([.. modules]), [.. linears], [.. outputs], [.. pre]);
    }

    private static void Initialize(Linear linear, string init, string activation, Generator rng)
    {
        switch (init)
        {
            case "xavier":
                NN.Init.XavierUniform(linear.Weight, rng: rng);
                NN.Init.Zeros(linear.Bias!);
                break;
            case "he":
                NN.Init.KaimingUniform(linear.Weight, nonlinearity: activation is "relu" or "leaky_relu" ? "relu" : "linear", rng: rng);
                NN.Init.Zeros(linear.Bias!);
                break;
            case "zeros":
                // Every neuron of a layer then computes the same function and gets the same gradient:
                // the symmetry never breaks, which is what the page shows.
                NN.Init.Zeros(linear.Weight);
                NN.Init.Zeros(linear.Bias!);
                break;
            default:
                break;
        }
    }

    /// <summary>The module for an activation name; null for "linear" (the identity).</summary>
    public static Module? Activation(string name) => name switch
    {
        "step" => new Step(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "relu" => new ReLU(),
        "leaky_relu" => new LeakyReLU(),
        "gelu" => new GELU(),
        "silu" => new SiLU(),
        "linear" => null,
        _ => throw new ArgumentException($"unknown activation '{name}'", nameof(name)),
    };

    /// <summary>The value of input feature <paramref name="name"/> at (x₁, x₂).</summary>
    public static float Feature(string name, float x1, float x2) => name switch
    {
        "x1" => x1,
        "x2" => x2,
        "x1sq" => x1 * x1,
        "x2sq" => x2 * x2,
        "x1x2" => x1 * x2,
        "sinx1" => MathF.Sin(x1),
        "sinx2" => MathF.Sin(x2),
        _ => throw new ArgumentException($"unknown feature '{name}'", nameof(name)),
    };

    private static float[] FeatureMatrix(IEnumerable<(float X1, float X2)> points, IReadOnlyList<string> features)
    {
        var rows = new List<float>();
        foreach (var (x1, x2) in points)
        {
            foreach (string f in features)
            {
                rows.Add(Feature(f, x1, x2));
            }
        }
        return [.. rows];
    }

    /// <summary>The heat map's sample points, row by row from the top (x₂ = +6) and left (x₁ = −6), at cell centres.</summary>
    public static IEnumerable<(float X1, float X2)> GridPoints()
    {
        float cell = 2 * Extent / GridSize;
        for (int row = 0; row < GridSize; row++)
        {
            for (int col = 0; col < GridSize; col++)
            {
                yield return (-Extent + ((col + 0.5f) * cell), Extent - ((row + 0.5f) * cell));
            }
        }
    }

    private Tensor Targets(DataPoint[] points, int[] rows)
    {
        var values = rows.Select(i => points[i].Label).ToArray();
        return Config.Problem == "multiclass" ? Tensor.From(values) : Tensor.From(values, [rows.Length, 1]);
    }

    private Tensor Loss(Tensor output, Tensor targets) =>
        Config.Problem == "multiclass" ? Losses.CrossEntropy(output, targets) : Losses.Mse(output, targets);

    private Tensor Penalty()
    {
        Tensor? sum = null;
        foreach (var linear in _linears)
        {
            var term = Config.Regularization == "l1"
                ? Ops.Sum(Ops.Abs(linear.Weight))
                : Ops.Mul(Ops.Sum(Ops.Mul(linear.Weight, linear.Weight)), 0.5f);
            sum = sum is null ? term : Ops.Add(sum, term);
        }
        return Ops.Mul(sum!, (float)Config.RegularizationRate);
    }

    private static Tensor Rows(float[] matrix, int width, ReadOnlySpan<int> rows)
    {
        var data = new float[rows.Length * width];
        for (int r = 0; r < rows.Length; r++)
        {
            Array.Copy(matrix, rows[r] * width, data, r * width, width);
        }
        return Tensor.From(data, [rows.Length, width]);
    }

    /// <summary>Trains one epoch: the training set shuffled, in mini-batches, one optimizer step per batch.</summary>
    public void RunEpoch()
    {
        _model.Train();
        foreach (var group in _optimizer.ParamGroups)
        {
            group.Lr = Config.LearningRateAt(Epoch);
        }
        int width = Config.Features.Count;
        var order = _rng.Permutation(Train.Length);
        for (int start = 0; start < order.Length; start += Config.BatchSize)
        {
            var rows = order.AsSpan(start, Math.Min(Config.BatchSize, order.Length - start));
            if (Config.BatchNorm && rows.Length < 2)
            {
                continue; // batch statistics need two samples
            }
            _optimizer.ZeroGrad();
            var loss = Loss(_model.Call(Rows(_trainFeatures, width, rows)), Targets(Train, rows.ToArray()));
            if (Config.Regularization != "none" && Config.RegularizationRate > 0)
            {
                loss = Ops.Add(loss, Penalty());
            }
            loss.Backward();
            _gradientNorms = GradientFlow.WeightGradientNorms(_model);
            _optimizer.Step();
        }
        Epoch++;
    }

    /// <summary>Mean loss (without the penalty), and accuracy for classification, over the training or test set.</summary>
    public (double Loss, double? Accuracy) Evaluate(bool test)
    {
        var points = test ? Test : Train;
        if (points.Length == 0)
        {
            return (0, null);
        }
        var output = Predict(test ? _testFeatures : _trainFeatures, points.Length);
        var rows = Enumerable.Range(0, points.Length).ToArray();
        double loss;
        using (Graph.NoGrad())
        {
            loss = Loss(output, Targets(points, rows)).Item();
        }
        return (loss, Config.Problem == "regression" ? null : Correct(output, points) / (double)points.Length);
    }

    private int Correct(Tensor output, DataPoint[] points)
    {
        int correct = 0;
        for (int i = 0; i < points.Length; i++)
        {
            if (PredictedClass(output, i) == TrueClass(points[i]))
            {
                correct++;
            }
        }
        return correct;
    }

    private int TrueClass(DataPoint p) => Config.Problem == "multiclass" ? (int)p.Label : p.Label > 0 ? 1 : 0;

    private int PredictedClass(Tensor output, int row)
    {
        if (Config.Problem != "multiclass")
        {
            return output.Data[row] >= 0 ? 1 : 0;
        }
        int k = Config.Classes, best = 0;
        for (int c = 1; c < k; c++)
        {
            if (output.Data[(row * k) + c] > output.Data[(row * k) + best])
            {
                best = c;
            }
        }
        return best;
    }

    /// <summary>Counts [true class, predicted class] over the test set (classes 0 = −1 and 1 = +1 for binary data); null for regression.</summary>
    public int[][]? ConfusionMatrix()
    {
        if (Config.Problem == "regression")
        {
            return null;
        }
        int k = Config.Problem == "multiclass" ? Config.Classes : 2;
        var matrix = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        if (Test.Length == 0)
        {
            return matrix;
        }
        var output = Predict(_testFeatures, Test.Length);
        for (int i = 0; i < Test.Length; i++)
        {
            matrix[TrueClass(Test[i])][PredictedClass(output, i)]++;
        }
        return matrix;
    }

    private Tensor Predict(float[] features, int count)
    {
        _model.Eval();
        using (Graph.NoGrad())
        {
            return _model.Call(Tensor.From(features, [count, Config.Features.Count]));
        }
    }

    /// <summary>
    /// The output of every neuron over the heat-map grid, per layer: the input features first, then
    /// each hidden layer, then the output layer (softmax probabilities for multi-class);
    /// each neuron's values are <see cref="GridSize"/>² floats, row by row.
    /// </summary>
    public float[][][] NeuronGrids()
    {
        int points = GridSize * GridSize, width = Config.Features.Count;
        var layers = new List<float[][]>
        {
            Enumerable.Range(0, width).Select(f => Enumerable.Range(0, points).Select(p => _gridFeatures[(p * width) + f]).ToArray()).ToArray(),
        };
        _model.Eval();
        using (Graph.NoGrad())
        {
            var x = Tensor.From(_gridFeatures, [points, width]);
            for (int i = 0; i < _model.Layers.Count; i++)
            {
                x = _model[i].Call(x);
                if (_neuronOutputs.Contains(i))
                {
                    var shown = i == _model.Layers.Count - 1 && Config.Problem == "multiclass" ? Ops.Softmax(x, 1) : x;
                    layers.Add(Columns(shown));
                }
            }
        }
        return [.. layers];
    }

    private static float[][] Columns(Tensor x)
    {
        int rows = x.Shape[0], cols = x.Shape[1];
        var result = new float[cols][];
        for (int c = 0; c < cols; c++)
        {
            result[c] = new float[rows];
            for (int r = 0; r < rows; r++)
            {
                result[c][r] = x.Data[(r * cols) + c];
            }
        }
        return result;
    }

    /// <summary>
    /// The forward and backward pass of one point (x₁, x₂) with label <paramref name="target"/>
    /// in evaluation mode, without changing the weights: z, a and δ per neuron and ∂L/∂W per link.
    /// </summary>
    public PointTrace TracePoint(float x1, float x2, float target)
    {
        var features = Config.Features.Select(f => Feature(f, x1, x2)).ToArray();
        _model.Eval();
        _optimizer.ZeroGrad();
        var zs = new List<Tensor>();
        var normalized = new List<float[]>();
        var activations = new List<Tensor>();
        var x = Tensor.From(features, [1, features.Length]);
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            x = _model[i].Call(x);
            if (_preActivations.Contains(i))
            {
                zs.Add(x.RetainGrad());
            }
            if (_model[i] is BatchNorm1d)
            {
                normalized.Add(x.ToArray());
            }
            if (_neuronOutputs.Contains(i))
            {
                activations.Add(i == _model.Layers.Count - 1 && Config.Problem == "multiclass" ? Ops.Softmax(x, 1) : x);
            }
        }
        var targets = Config.Problem == "multiclass" ? Tensor.From([target]) : Tensor.From([target], [1, 1]);
        var loss = Loss(x, targets);
        loss.Backward();
        var trace = new PointTrace(
            features,
            zs.Select(z => z.ToArray()).ToArray(),
            activations.Select(a => a.ToArray()).ToArray(),
            zs.Select(z => z.Grad?.ToArray() ?? new float[z.Count]).ToArray(),
            _linears.Select(l => Rows2D(l.Weight.Grad, l.OutFeatures, l.InFeatures)).ToArray(),
            _linears.Select(l => l.Bias!.Grad?.ToArray() ?? new float[l.OutFeatures]).ToArray(),
            loss.Item(),
            target,
            Config.BatchNorm ? [.. normalized] : null);
        _optimizer.ZeroGrad();
        return trace;
    }

    private static float[][] Rows2D(Tensor? t, int rows, int cols) =>
        Enumerable.Range(0, rows).Select(r => t is null ? new float[cols] : t.Data.Slice(r * cols, cols).ToArray()).ToArray();

    /// <summary>
    /// The trained model: a Neurite model spec (DESIGN.md: input, layers in lower snake case, loss,
    /// optimizer, batch size), the state dict with PyTorch's names ("0.weight", …) as shapes and
    /// row-major values, and the same model as a Neurite <c>.safetensors</c> model file (base64)
    /// that <c>neurite predict</c> reads: its inputs are the CSV columns named after the features
    /// (x1, x2, x1sq, …), and a multi-class model names its classes 0 … k − 1.
    /// </summary>
    public JsonObject ExportModel()
    {
        var layers = new JsonArray();
        foreach (var module in _model.Layers)
        {
            layers.Add(module switch
            {
                Linear l => new JsonObject { ["type"] = "linear", ["out"] = l.OutFeatures },
                BatchNorm1d => new JsonObject { ["type"] = "batch_norm" },
                Dropout d => new JsonObject { ["type"] = "dropout", ["p"] = d.P },
                LeakyReLU r => new JsonObject { ["type"] = "leaky_relu", ["alpha"] = r.NegativeSlope },
                ReLU => new JsonObject { ["type"] = "relu" },
                GELU => new JsonObject { ["type"] = "gelu" },
                SiLU => new JsonObject { ["type"] = "silu" },
                Sigmoid => new JsonObject { ["type"] = "sigmoid" },
                Tanh => new JsonObject { ["type"] = "tanh" },
                Step => new JsonObject { ["type"] = "step" },
                _ => throw new InvalidOperationException($"no spec name for {module.GetType().Name}"),
            });
        }
        var optimizer = new JsonObject { ["type"] = Config.Optimizer == "adam" ? "adam" : "sgd", ["lr"] = Config.LearningRate };
        if (Config.Optimizer == "momentum")
        {
            optimizer["momentum"] = 0.9;
        }
        var state = new JsonObject();
        foreach (var (name, tensor) in _model.StateDict())
        {
            state[name] = new JsonObject
            {
                ["shape"] = new JsonArray(tensor.Shape.ToArray().Select(d => (JsonNode?)d).ToArray()),
                // JSON has no NaN: a diverged value is written as null.
                ["data"] = new JsonArray(tensor.ToArray().Select(v => float.IsFinite(v) ? (JsonNode?)v : null).ToArray()),
            };
        }
        var spec = new JsonObject
        {
            ["input"] = new JsonArray(Config.Features.Count),
            ["layers"] = layers,
            ["loss"] = Config.Problem == "multiclass" ? "cross_entropy" : "mse",
            ["optimizer"] = optimizer,
            ["batch_size"] = Config.BatchSize,
        };
        var metadata = new Dictionary<string, string>
        {
            ["neurite.features"] = new JsonArray([.. Config.Features.Select(f => (JsonNode?)f)]).ToJsonString(),
        };
        if (Config.Problem == "multiclass")
        {
            metadata["neurite.classes"] = new JsonArray([.. Enumerable.Range(0, Config.Classes).Select(c => (JsonNode?)c.ToString(CultureInfo.InvariantCulture))]).ToJsonString();
        }
        byte[] file = ModelFile.Serialize(_model, ModelSpec.Parse(spec.ToJsonString(), "playground model"), metadata);
        return new JsonObject
        {
            ["spec"] = spec,
            ["epochs_trained"] = Epoch,
            ["playground"] = Config.ToJson(),
            ["state_dict"] = state,
            ["safetensors"] = Convert.ToBase64String(file),
        };
    }

    /// <summary>Sets W[<paramref name="to"/>, <paramref name="from"/>] of Linear layer <paramref name="layer"/> (or its bias when <paramref name="from"/> is −1).</summary>
    /// <exception cref="PlaygroundValidationException">No such weight, or a value that is not finite.</exception>
    public void SetWeight(int layer, int to, int from, float value)
    {
        if (layer < 0 || layer >= _linears.Length)
        {
            throw new PlaygroundValidationException($"setWeight: layer must be from 0 to {_linears.Length - 1}; got {layer}");
        }
        var linear = _linears[layer];
        if (to < 0 || to >= linear.OutFeatures || from < -1 || from >= linear.InFeatures)
        {
            throw new PlaygroundValidationException(
                $"setWeight: layer {layer} has weights [{linear.OutFeatures}, {linear.InFeatures}]; got to={to}, from={from}");
        }
        if (!float.IsFinite(value) || MathF.Abs(value) > 100)
        {
            throw new PlaygroundValidationException($"setWeight: value must be a finite number from -100 to 100; got {value}");
        }
        if (from == -1)
        {
            linear.Bias!.Data[to] = value;
        }
        else
        {
            linear.Weight.Data[(to * linear.InFeatures) + from] = value;
        }
    }
}
