using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

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
/// One Playground run on the real engine: the data set split into train and test, a network built
/// from a Neurite model spec (the layer code <c>neurite train</c> uses), trained one epoch at a time
/// by the library's <see cref="Trainer"/>, and the views the page draws (neuron heat maps, the trace
/// of one point). Not thread-safe: one session drives it.
/// </summary>
/// <remarks>
/// Binary classification ends in a sigmoid trained with binary cross-entropy against the labels as 0/1 (a
/// classification to the trainer), or, with the loss "mse", as TensorFlow Playground: a tanh output fitted to the
/// labels ±1 with the squared loss (a regression onto ±1 to the trainer).
/// </remarks>
public sealed class PlaygroundRun
{
    /// <summary>The heat maps cover [−<see cref="Extent"/>, <see cref="Extent"/>]² in both coordinates.</summary>
    public const float Extent = 6f;

    /// <summary>Heat map resolution: <see cref="GridSize"/>² points per neuron.</summary>
    public const int GridSize = 32;

    /// <summary>Resolution of the output heat map, the large one beside the network: <see cref="OutputGridSize"/>² points.</summary>
    public const int OutputGridSize = 100;

    /// <summary>Points drawn for a classification data set, as TensorFlow Playground.</summary>
    public const int ClassificationSamples = 500;

    /// <summary>Points drawn for a regression data set, as TensorFlow Playground.</summary>
    public const int RegressionSamples = 1200;

    private readonly Sequential _model;
    private readonly Linear[] _linears;
    private readonly int[] _neuronOutputs; // index in _model of the module whose output a hidden layer shows
    private readonly int[] _preActivations; // index in _model of each Linear (z before batch norm and activation)
    private readonly Trainer _trainer;
    private readonly DataLoader? _loader; // null when no batch can be trained (see the constructor)
    private readonly Dataset _trainSet, _testSet;
    private readonly float[] _gridFeatures, _outputGridFeatures;
    private double[] _gradientNorms;
    private int _epochsWithoutBatches;

    /// <summary>Builds the data and the network of <paramref name="config"/>; <paramref name="initSeed"/> seeds the weights, the shuffling and dropout.</summary>
    public PlaygroundRun(PlaygroundConfig config, DataPoint[] train, DataPoint[] test, ulong initSeed)
    {
        Config = config;
        Train = train;
        Test = test;
        Spec = SpecOf(config);
        _model = (Sequential)Spec.Build(new Generator(initSeed));
        (_linears, _neuronOutputs, _preActivations) = Roles(_model);
        _trainSet = ToDataset(train, config);
        _testSet = ToDataset(test, config);
        _gridFeatures = FeatureMatrix(GridPoints(), config.Features);
        _outputGridFeatures = FeatureMatrix(GridPoints(OutputGridSize), config.Features);
        _gradientNorms = new double[_linears.Length];
        // Batch statistics need two samples: under batch norm a last batch of one is dropped, and
        // with one sample per batch (or one point in all) there is nothing to train; nor is there
        // before the first custom point. Such epochs still count, as the page has always shown.
        bool trainable = config.BatchNorm ? train.Length >= 2 && config.BatchSize >= 2 : train.Length > 0;
        _loader = trainable
            ? new DataLoader(_trainSet, config.BatchSize, shuffle: true, seed: initSeed, dropLast: config.BatchNorm && train.Length % config.BatchSize == 1)
            : null;
        _trainer = new Trainer(_model, Spec.Loss!.Objective(), Spec.Optimizer!.Build(_model.Parameters()))
        {
            L1 = Spec.L1 ?? 0,
            L2 = Spec.L2 ?? 0,
            Seed = initSeed,
            // A diverged network runs on and shows its NaNs, as on TensorFlow Playground.
            StopOnNonFiniteLoss = false,
            Callbacks = [new GradientNormWatch(this)],
        };
    }

    /// <summary>
    /// Splits a freshly generated data set of <paramref name="config"/> (the library's synthetic
    /// generators in TensorFlow Playground's geometry), or <paramref name="custom"/> points for the
    /// "custom" data set, into train and test (seeded by the configuration's seed).
    /// </summary>
    public static (DataPoint[] Train, DataPoint[] Test) MakeData(PlaygroundConfig config, IReadOnlyList<DataPoint>? custom = null)
    {
        var rng = new Generator((ulong)config.Seed);
        var points = config.Dataset == "custom"
            ? [.. custom ?? []]
            : Generate(config.Dataset, config.Noise / 100f, config.Problem == "multiclass" ? config.Classes : 2, rng);
        var order = rng.Permutation(points.Length);
        int trainCount = points.Length * config.TrainRatio / 100;
        return (order.Take(trainCount).Select(i => points[i]).ToArray(), order.Skip(trainCount).Select(i => points[i]).ToArray());
    }

    /// <summary>
    /// The points of the library's synthetic set <paramref name="dataset"/> in TensorFlow Playground's
    /// geometry (with <paramref name="classes"/> classes where the set takes a class count), labelled
    /// as the page shows them: ±1 for two classes (class 1 is +1), the class index for more, the
    /// target for a regression.
    /// </summary>
    public static DataPoint[] Generate(string dataset, float noise, int classes, Generator rng)
    {
        bool regression = PlaygroundConfig.DatasetsByProblem["regression"].Contains(dataset);
        var data = DataSources.Synthesize(dataset, regression ? RegressionSamples : ClassificationSamples, rng, noise,
            regression ? null : classes, SyntheticGeometry.Playground);
        var x = data.Features.ToArray();
        var y = data.Targets.ToArray();
        bool signs = data.Task == TaskKind.Classification && data.ClassNames.Count == 2;
        return [.. Enumerable.Range(0, data.Count).Select(i => new DataPoint(x[2 * i], x[2 * i + 1], signs ? 2 * y[i] - 1 : y[i]))];
    }

    /// <summary>The configuration this run was built from.</summary>
    public PlaygroundConfig Config { get; }

    /// <summary>The network as a Neurite model spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The training points.</summary>
    public DataPoint[] Train { get; }

    /// <summary>The held-out test points.</summary>
    public DataPoint[] Test { get; }

    /// <summary>Epochs trained so far (including those that had no batch to train).</summary>
    public int Epoch => _trainer.EpochsDone + _epochsWithoutBatches;

    /// <summary>The network.</summary>
    public Sequential Model => _model;

    /// <summary>The Linear layers, input side first; the last one is the output layer.</summary>
    public IReadOnlyList<Linear> Linears => _linears;

    /// <summary>‖∂L/∂W‖ of each Linear layer after the last batch of the last epoch.</summary>
    public IReadOnlyList<double> GradientNorms => _gradientNorms;

    /// <summary>
    /// The spec of <paramref name="config"/>'s network: per hidden layer a linear layer (with the
    /// chosen initialization), batch norm, the activation and dropout; then the output layer, with
    /// sigmoid (or tanh) for binary classification; the loss, the optimizer, the batch size and the penalty.
    /// </summary>
    private static ModelSpec SpecOf(PlaygroundConfig config)
    {
        // The page's initializations: PyTorch's default (none), Xavier (Glorot) uniform, He (Kaiming) uniform, zeros.
        var init = config.Init switch
        {
            "xavier" => new InitSpec("xavier_uniform"),
            "he" => new InitSpec("he_uniform"),
            "zeros" => new InitSpec("zeros"),
            _ => null,
        };
        var layers = new List<LayerSpec>();
        for (int i = 0; i < config.Hidden.Count; i++)
        {
            layers.Add(new LinearSpec(config.Hidden[i], Init: init));
            if (config.BatchNorm)
            {
                layers.Add(new BatchNormSpec());
            }
            if (PlaygroundConfig.ActivationType(config.ActivationOf(i)) is { } activation)
            {
                layers.Add(LayerRegistry.Default(activation));
            }
            if (config.Dropout > 0)
            {
                layers.Add(new DropoutSpec(config.Dropout));
            }
        }
        layers.Add(new LinearSpec(config.Outputs, Init: init));
        if (config.Problem == "classification")
        {
            // A probability for binary cross-entropy, or TensorFlow Playground's tanh against labels ±1 with the squared loss.
            layers.Add(LayerRegistry.Default(config.SigmoidOutput ? "sigmoid" : "tanh"));
        }
        bool penalty = config.RegularizationRate > 0;
        return new ModelSpec([config.Features.Count], layers)
        {
            Loss = new LossSpec(config.Problem == "multiclass" ? "cross_entropy" : config.SigmoidOutput ? "bce" : "mse"),
            Optimizer = new OptimizerSpec(config.Optimizer switch
            {
                "adam" => new AdamOptions(Lr: config.LearningRate),
                "momentum" => new SGDOptions(config.LearningRate, Momentum: 0.9),
                _ => new SGDOptions(config.LearningRate),
            }),
            BatchSize = config.BatchSize,
            L1 = penalty && config.Regularization == "l1" ? config.RegularizationRate : null,
            L2 = penalty && config.Regularization == "l2" ? config.RegularizationRate : null,
        };
    }

    /// <summary>Finds the Linear layers, the module whose output each layer shows, and each layer's pre-activation.</summary>
    private static (Linear[], int[], int[]) Roles(Sequential model)
    {
        var linears = new List<Linear>();
        var outputs = new List<int>();
        var pre = new List<int>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            if (model[i] is Linear linear)
            {
                if (linears.Count > 0)
                {
                    outputs.Add(LastBefore(model, i));
                }
                linears.Add(linear);
                pre.Add(i);
            }
        }
        outputs.Add(model.Layers.Count - 1);
        return ([.. linears], [.. outputs], [.. pre]);
    }

    /// <summary>The last module before index <paramref name="next"/> that is not dropout: what a hidden layer's neurons output.</summary>
    private static int LastBefore(Sequential model, int next)
    {
        int i = next - 1;
        while (model[i] is Dropout)
        {
            i--;
        }
        return i;
    }

    /// <summary>The names of the two classes of binary classification, as the page labels them (class 0 is −1).</summary>
    private static readonly string[] BinaryClassNames = ["-1", "1"];

    private static Dataset ToDataset(DataPoint[] points, PlaygroundConfig config)
    {
        var features = FeatureMatrix(points.Select(p => (p.X1, p.X2)), config.Features);
        var x = Tensor.From(features, [points.Length, config.Features.Count]);
        var labels = points.Select(p => p.Label).ToArray();
        if (config.SigmoidOutput)
        {
            // Binary cross-entropy's targets: class 1 for the label +1, class 0 for −1.
            return new Dataset(x, Tensor.From(labels.Select(l => l > 0 ? 1f : 0f).ToArray()), TaskKind.Classification, BinaryClassNames);
        }
        return config.Problem == "multiclass"
            ? new Dataset(x, Tensor.From(labels), TaskKind.Classification,
                [.. Enumerable.Range(0, config.Classes).Select(c => c.ToString(CultureInfo.InvariantCulture))])
            : new Dataset(x, Tensor.From(labels, [points.Length, 1]), TaskKind.Regression);
    }

    /// <summary>Keeps the weight gradient norms of the last batch, read between backward and the step.</summary>
    private sealed class GradientNormWatch(PlaygroundRun run) : ITrainingCallback
    {
        public void OnAfterBackward(Trainer trainer, BatchStep step) => run._gradientNorms = GradientFlow.WeightGradientNorms(trainer.Model);
    }

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

    /// <summary>A heat map's sample points (<paramref name="size"/>² of them), row by row from the top (x₂ = +6) and left (x₁ = −6), at cell centres.</summary>
    public static IEnumerable<(float X1, float X2)> GridPoints(int size = GridSize)
    {
        float cell = 2 * Extent / size;
        for (int row = 0; row < size; row++)
        {
            for (int col = 0; col < size; col++)
            {
                yield return (-Extent + ((col + 0.5f) * cell), Extent - ((row + 0.5f) * cell));
            }
        }
    }

    /// <summary>Trains one epoch through the library's trainer: the training set shuffled, in mini-batches, one optimizer step per batch, at the schedule's rate.</summary>
    public void RunEpoch()
    {
        if (_loader is null)
        {
            _epochsWithoutBatches++;
            return;
        }
        foreach (var group in _trainer.Optimizer!.ParamGroups)
        {
            group.Lr = Config.LearningRateAt(Epoch);
        }
        _trainer.Fit(_loader, null, _trainer.EpochsDone + 1);
    }

    /// <summary>Mean loss (without the penalty), and accuracy for classification, over the training or test set.</summary>
    public (double Loss, double? Accuracy) Evaluate(bool test)
    {
        var points = test ? Test : Train;
        if (points.Length == 0)
        {
            return (0, null);
        }
        var data = test ? _testSet : _trainSet;
        var evaluation = _trainer.Evaluate(data);
        return Config.Problem switch
        {
            "regression" => (evaluation.Loss, null),
            "multiclass" => (evaluation.Loss, evaluation.Classification!.Accuracy),
            _ when Config.SigmoidOutput => (evaluation.Loss, evaluation.Classification!.Accuracy),
            _ => (evaluation.Loss, Correct(Predict(data), points) / (double)points.Length),
        };
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
            // p ≥ ½ for a sigmoid output, ≥ 0 for tanh.
            return output.Data[row] >= (Config.SigmoidOutput ? 0.5f : 0f) ? 1 : 0;
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
        var output = Predict(_testSet);
        for (int i = 0; i < Test.Length; i++)
        {
            matrix[TrueClass(Test[i])][PredictedClass(output, i)]++;
        }
        return matrix;
    }

    private Tensor Predict(Dataset data) => _trainer.Predict(data.Features);

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

    /// <summary>
    /// The network's output over the <see cref="OutputGridSize"/>² grid, per output (softmax probabilities for
    /// multi-class), row by row: the large heat map.
    /// </summary>
    public float[][] OutputGrids()
    {
        int points = OutputGridSize * OutputGridSize;
        _model.Eval();
        using (Graph.NoGrad())
        {
            var output = _model.Call(Tensor.From(_outputGridFeatures, [points, Config.Features.Count]));
            return Columns(Config.Problem == "multiclass" ? Ops.Softmax(output, 1) : output);
        }
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
        _model.ZeroGrad();
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
        var targets = Config.Problem == "multiclass" ? Tensor.From([target])
            : Config.SigmoidOutput ? Tensor.From([target > 0 ? 1f : 0f])
            : Tensor.From([target], [1, 1]);
        var loss = _trainer.Objective!.Loss(x, targets);
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
        _model.ZeroGrad();
        return trace;
    }

    private static float[][] Rows2D(Tensor? t, int rows, int cols) =>
        Enumerable.Range(0, rows).Select(r => t is null ? new float[cols] : t.Data.Slice(r * cols, cols).ToArray()).ToArray();

    /// <summary>
    /// The trained model: its Neurite model spec, the state dict with PyTorch's names ("0.weight",
    /// …) as shapes and row-major values, and the same model as a Neurite <c>.safetensors</c> model
    /// file (base64) that <c>neurite predict</c> reads: its inputs are the CSV columns named after the
    /// features (x1, x2, x1sq, …), a multi-class model names its classes 0 … k − 1 and a sigmoid binary one −1 and 1.
    /// </summary>
    public JsonObject ExportModel()
    {
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
        var metadata = new Dictionary<string, string> { [ModelFile.FeaturesKey] = TrainingRun.Names(Config.Features) };
        if (_trainSet.Task == TaskKind.Classification)
        {
            metadata[ModelFile.ClassesKey] = TrainingRun.Names(_trainSet.ClassNames);
        }
        return new JsonObject
        {
            ["spec"] = JsonNode.Parse(Spec.ToJson()),
            ["epochs_trained"] = Epoch,
            ["playground"] = Config.ToJson(),
            ["state_dict"] = state,
            ["safetensors"] = Convert.ToBase64String(ModelFile.Serialize(_model, Spec, metadata)),
        };
    }

    /// <summary>
    /// Sets every Linear layer's W ([out][in], input side first) and b at once, as a person pastes them (seed 000's ReLU
    /// triangle, seed 002's worked examples).
    /// </summary>
    /// <exception cref="PlaygroundValidationException">A layer is missing or extra, a shape differs from the network's, or a value is not finite or beyond ±100.</exception>
    public void SetWeights(float[][][] weights, float[][] biases)
    {
        if (weights.Length != _linears.Length || biases.Length != _linears.Length)
        {
            throw new PlaygroundValidationException(
                $"setWeights: the network has {_linears.Length} layers of weights (hidden layers and the output); got {weights.Length} W and {biases.Length} b");
        }
        for (int l = 0; l < _linears.Length; l++)
        {
            var linear = _linears[l];
            var w = weights[l];
            if (w.Length != linear.OutFeatures || w.Any(row => row.Length != linear.InFeatures))
            {
                throw new PlaygroundValidationException(
                    $"setWeights: layer {l + 1}'s W must be {linear.OutFeatures} rows of {linear.InFeatures} (out × in); got {w.Length} rows of {string.Join("/", w.Select(r => r.Length).Distinct())}");
            }
            if (biases[l].Length != linear.OutFeatures)
            {
                throw new PlaygroundValidationException($"setWeights: layer {l + 1}'s b must have {linear.OutFeatures} values; got {biases[l].Length}");
            }
            if (w.SelectMany(r => r).Concat(biases[l]).FirstOrDefault(v => !float.IsFinite(v) || MathF.Abs(v) > 100, 0f) is var bad && bad != 0f)
            {
                throw new PlaygroundValidationException($"setWeights: layer {l + 1}: values must be finite numbers from -100 to 100; got {bad}");
            }
        }
        for (int l = 0; l < _linears.Length; l++)
        {
            weights[l].SelectMany(r => r).ToArray().CopyTo(_linears[l].Weight.Data);
            biases[l].CopyTo(_linears[l].Bias!.Data);
        }
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
