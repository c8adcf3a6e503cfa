using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Neurite.Playground;

/// <summary>
/// One browser tab of the network view: trains its own <see cref="PlaygroundRun"/> in the background while playing
/// (the pacing and the trainer cap are <see cref="PacedSession"/>'s) and answers the page's other commands.
/// </summary>
internal sealed class PlaygroundSession : PacedSession
{
    /// <summary>The default speed: one epoch per animation frame of a 60 Hz screen, as TensorFlow Playground.</summary>
    public const double DefaultEpochsPerSecond = 60;

    private PlaygroundConfig _config = new();
    private PlaygroundRun _run;
    private int _resets;
    private JsonArray _history = [];
    private DataPoint[] _custom = [];

    /// <summary>A session on an accepted socket, with the default configuration until the page sends its own.</summary>
    public PlaygroundSession(WebSocket socket, SessionLimits limits, TrainerGate trainers)
        : base(socket, limits, trainers, DefaultEpochsPerSecond)
    {
        _run = NewRun(_config);
    }

    /// <inheritdoc/>
    protected override int Epoch => _run.Epoch;

    private PlaygroundRun NewRun(PlaygroundConfig config)
    {
        var (train, test) = PlaygroundRun.MakeData(config, _custom);
        TrainingTime.Reset();
        return new PlaygroundRun(config, train, test, (ulong)config.Seed * 7919UL + (ulong)_resets);
    }

    /// <inheritdoc/>
    protected override Task OnRefusedAsync(CancellationToken cancellation) =>
        SendAsync(new JsonObject { ["type"] = "config", ["config"] = _config.ToJson() }, cancellation);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(string type, JsonObject command, CancellationToken cancellation)
    {
        switch (type)
        {
            case "configure":
                if (command["config"] is not JsonObject settings)
                {
                    throw new PlaygroundValidationException("configure: needs a \"config\" object");
                }
                var config = _config.Merge(settings);
                if (config.Dataset == "custom")
                {
                    CustomData.Check(_custom, config);
                }
                _run = NewRun(config);
                _config = config;
                await SendStateAsync(cancellation);
                break;
            case "reset":
                Pause();
                _resets++;
                _run = NewRun(_config);
                await SendStateAsync(cancellation);
                break;
            case "regenerate":
                _config = _config with { Seed = (_config.Seed % 1_000_000) + 1 };
                _run = NewRun(_config);
                await SendStateAsync(cancellation);
                break;
            case "setPoints":
                SetCustom(CustomData.FromJson(command["points"], _config));
                await SendStateAsync(cancellation);
                break;
            case "uploadCsv":
                if (command["text"] is not JsonValue text || !text.TryGetValue(out string? csv))
                {
                    throw new PlaygroundValidationException("uploadCsv: needs the file's \"text\"");
                }
                SetCustom(CustomData.FromCsv(csv, _config));
                await SendStateAsync(cancellation);
                break;
            case "setWeight":
                _run.SetWeight(
                    IntField(command, "layer"), IntField(command, "to"), IntField(command, "from"), (float)NumberField(command, "value"));
                await SendSnapshotAsync(cancellation);
                break;
            case "setWeights":
                var (weights, biases) = Layers(command);
                _run.SetWeights(weights, biases);
                await SendSnapshotAsync(cancellation);
                break;
            case "exportModel":
                // The spec, the weights and the .safetensors model file that neurite predict reads.
                await SendAsync(new JsonObject { ["type"] = "model", ["model"] = _run.ExportModel() }, cancellation);
                break;
            case "trace":
                await SendAsync(Trace(command), cancellation);
                break;
            default:
                throw new PlaygroundValidationException(
                    $"unknown command '{type}'; known: configure, play, pause, pace, step, reset, regenerate, setPoints, uploadCsv, setWeight, setWeights, trace, exportModel");
        }
    }

    /// <summary>Makes <paramref name="points"/> the data, as the "custom" data set, with a fresh network.</summary>
    private void SetCustom(DataPoint[] points)
    {
        _custom = points;
        _config = _config with { Dataset = "custom" };
        _run = NewRun(_config);
    }

    /// <summary>Trains an epoch and records its losses and gradient norms for the next snapshot's charts.</summary>
    protected override void RunEpoch()
    {
        _run.RunEpoch();
        var (train, _) = _run.Evaluate(test: false);
        var (test, _) = _run.Evaluate(test: true);
        _history.Add(new JsonArray(
            _run.Epoch, Finite(train), Finite(test), new JsonArray(_run.GradientNorms.Select(g => Finite(g)).ToArray())));
    }

    private JsonObject Trace(JsonObject command)
    {
        float x1 = (float)NumberField(command, "x1"), x2 = (float)NumberField(command, "x2");
        if (MathF.Abs(x1) > 100 || MathF.Abs(x2) > 100)
        {
            throw new PlaygroundValidationException($"trace: x1 and x2 must be from -100 to 100; got {x1}, {x2}");
        }
        float target = (float)NumberField(command, "target");
        bool valid = _config.Problem switch
        {
            "classification" => target is 1 or -1,
            "multiclass" => target >= 0 && target < _config.Classes && target == MathF.Floor(target),
            _ => MathF.Abs(target) <= 100,
        };
        if (!valid)
        {
            throw new PlaygroundValidationException($"trace: {target} is not a label of this {_config.Problem} problem");
        }
        var t = _run.TracePoint(x1, x2, target);
        return new JsonObject
        {
            ["type"] = "trace",
            ["x1"] = x1,
            ["x2"] = x2,
            ["features"] = Floats(t.Features),
            ["z"] = Nested(t.Z),
            ["a"] = Nested(t.A),
            ["delta"] = Nested(t.Delta),
            ["weights"] = Weights(),
            ["weightGrad"] = new JsonArray(t.WeightGrad.Select(l => (JsonNode?)Nested(l)).ToArray()),
            ["biasGrad"] = Nested(t.BiasGrad),
            ["normalized"] = t.Normalized is null ? null : Nested(t.Normalized),
            ["loss"] = Finite(t.Loss),
            ["target"] = t.Target,
            ["learningRate"] = _config.LearningRate,
        };
    }

    /// <summary>The "layers" of a setWeights command: [{"W": [[…], …], "b": […]}, …], input side first.</summary>
    private static (float[][][] Weights, float[][] Biases) Layers(JsonObject command)
    {
        const string Shape = "setWeights: \"layers\" must be a list of {\"W\": [[numbers]], \"b\": [numbers]}, input side first";
        if (command["layers"] is not JsonArray layers || layers.Count > PlaygroundConfig.MaxHiddenLayers + 1)
        {
            throw new PlaygroundValidationException(Shape);
        }
        var weights = new float[layers.Count][][];
        var biases = new float[layers.Count][];
        for (int l = 0; l < layers.Count; l++)
        {
            if (layers[l] is not JsonObject layer || layer["W"] is not JsonArray w || layer["b"] is not JsonArray b
                || w.Count > 64 || w.Any(r => r is not JsonArray row || row.Count > 64))
            {
                throw new PlaygroundValidationException($"{Shape}; layer {l + 1} is not");
            }
            weights[l] = w.Select(r => Numbers(r!.AsArray(), l)).ToArray();
            biases[l] = Numbers(b, l);
        }
        return (weights, biases);
    }

    private static float[] Numbers(JsonArray values, int layer) =>
        values.Select(v => v is JsonValue n && PlaygroundConfig.AsDouble(n) is { } d
            ? (float)d
            : throw new PlaygroundValidationException($"setWeights: layer {layer + 1}: {v?.ToJsonString() ?? "null"} is not a number")).ToArray();

    /// <inheritdoc/>
    protected override async Task SendStateAsync(CancellationToken cancellation)
    {
        await SendAsync(new JsonObject { ["type"] = "config", ["config"] = _config.ToJson() }, cancellation);
        await SendAsync(new JsonObject
        {
            ["type"] = "data",
            ["train"] = Points(_run.Train),
            ["test"] = Points(_run.Test),
            // Every input feature over the heat-map grid, so that unused features show what they would add.
            ["featureGrids"] = new JsonObject(PlaygroundConfig.FeatureNames.Select(f => KeyValuePair.Create(f, (JsonNode?)Grid(
                PlaygroundRun.GridPoints().Select(p => PlaygroundRun.Feature(f, p.X1, p.X2)).ToArray())))),
        }, cancellation);
        await SendAsync(Status(), cancellation);
        await SendSnapshotAsync(cancellation);
    }

    private static JsonArray Points(DataPoint[] points) =>
        new(points.Select(p => (JsonNode?)new JsonArray(p.X1, p.X2, p.Label)).ToArray());

    /// <summary>The network's state now and the history since the last snapshot, computed on one core as training is.</summary>
    protected override JsonObject Snapshot()
    {
        using var oneCore = Kernels.Parallelism.LimitThisThread(1);
        var (trainLoss, trainAccuracy) = _run.Evaluate(test: false);
        var (testLoss, testAccuracy) = _run.Evaluate(test: true);
        var confusion = _run.ConfusionMatrix();
        var snapshot = new JsonObject
        {
            ["type"] = "snapshot",
            ["epoch"] = _run.Epoch,
            ["elapsed"] = TrainingTime.Elapsed.TotalSeconds,
            ["learningRate"] = _config.LearningRateAt(_run.Epoch),
            ["trainLoss"] = Finite(trainLoss),
            ["testLoss"] = Finite(testLoss),
            ["trainAccuracy"] = Finite(trainAccuracy),
            ["testAccuracy"] = Finite(testAccuracy),
            ["confusion"] = confusion is null ? null : Nested(confusion.Select(r => r.Select(c => (float)c).ToArray()).ToArray()),
            ["weights"] = Weights(),
            ["biases"] = new JsonArray(_run.Linears.Select(l => (JsonNode?)Floats(l.Bias!.ToArray())).ToArray()),
            ["gradNorms"] = new JsonArray(_run.GradientNorms.Select(g => Finite(g)).ToArray()),
            // [epoch, train loss, test loss, gradient norms] of every epoch since the last snapshot.
            ["history"] = _history,
            ["grid"] = PlaygroundRun.GridSize,
            // The large output heat map: its own finer grid.
            ["output"] = new JsonObject
            {
                ["size"] = PlaygroundRun.OutputGridSize,
                ["grids"] = new JsonArray(_run.OutputGrids().Select(g => (JsonNode?)Grid(g)).ToArray()),
            },
            ["neurons"] = new JsonArray(_run.NeuronGrids().Select(layer =>
                (JsonNode?)new JsonArray(layer.Select(n => (JsonNode?)Grid(n)).ToArray())).ToArray()),
        };
        _history = [];
        return snapshot;
    }

    /// <summary>A heat map for the page: the float32 values, little-endian, in base64.</summary>
    private static string Grid(float[] values) => Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A number for JSON; null where training diverged (JSON has no NaN or infinity).</summary>
    private static JsonNode? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>W of every Linear layer as [out][in], input side first.</summary>
    private JsonArray Weights() =>
        new(_run.Linears.Select(l => (JsonNode?)Nested(
            Enumerable.Range(0, l.OutFeatures).Select(r => l.Weight.Data.Slice(r * l.InFeatures, l.InFeatures).ToArray()).ToArray())).ToArray());

    private static JsonArray Floats(float[] values) => new(values.Select(v => (JsonNode?)(float.IsFinite(v) ? v : 0f)).ToArray());

    private static JsonArray Nested(float[][] values) => new(values.Select(r => (JsonNode?)Floats(r)).ToArray());
}
