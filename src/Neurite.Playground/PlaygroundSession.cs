using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Neurite.Playground;

/// <summary>
/// One browser tab: reads commands from its WebSocket and trains its own
/// <see cref="PlaygroundRun"/> in the background while playing, sending snapshots at most
/// every <see cref="SnapshotInterval"/>. The training stops when the socket closes.
/// </summary>
internal sealed class PlaygroundSession
{
    /// <summary>Snapshots are sent at most this often while playing (they carry every neuron's heat map).</summary>
    public static readonly TimeSpan SnapshotInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The default speed: one epoch per animation frame of a 60 Hz screen, as TensorFlow Playground.</summary>
    public const double DefaultEpochsPerSecond = 60;

    /// <summary>The fastest speed the page may ask for short of "as fast as the engine goes".</summary>
    public const double MaxEpochsPerSecond = 100_000;

    /// <summary>A run further behind its speed than this starts counting again from now.</summary>
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

    private readonly WebSocket _socket;
    private readonly SessionInbox _inbox;
    private readonly TrainerGate _trainers;
    private readonly Stopwatch _trainingTime = new();
    private TrainerGate.Ticket? _ticket;
    private double? _epochsPerSecond = DefaultEpochsPerSecond; // null: as fast as the engine goes
    private int _stopAt; // 0: never
    private Task<bool>? _commandWait;
    private long _due; // Stopwatch timestamp at which the next epoch may start
    private PlaygroundConfig _config = new();
    private PlaygroundRun _run;
    private int _resets;
    private bool _playing;
    private JsonArray _history = [];
    private DataPoint[] _custom = [];

    /// <summary>A session on an accepted socket, with the default configuration until the page sends its own.</summary>
    public PlaygroundSession(WebSocket socket, SessionLimits limits, TrainerGate trainers)
    {
        _socket = socket;
        _inbox = new SessionInbox(socket, limits);
        _trainers = trainers;
        _run = NewRun(_config);
    }

    /// <summary>Whether the page has asked for continuous training (holding a trainer slot or waiting for one).</summary>
    public bool IsPlaying => _playing;

    private PlaygroundRun NewRun(PlaygroundConfig config)
    {
        var (train, test) = PlaygroundRun.MakeData(config, _custom);
        _trainingTime.Reset();
        return new PlaygroundRun(config, train, test, (ulong)config.Seed * 7919UL + (ulong)_resets);
    }

    /// <summary>Runs until the socket closes or <paramref name="cancellation"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        var receiving = _inbox.ReceiveAsync(cancellation);
        var reader = _inbox.Commands;
        try
        {
            await SendStateAsync(cancellation);
            var lastSnapshot = Stopwatch.StartNew();
            int lastPosition = 0;
            while (!cancellation.IsCancellationRequested)
            {
                if (!_playing)
                {
                    // Paused: nothing runs until the page sends a command.
                    if (!await CommandArrives(reader, cancellation))
                    {
                        break;
                    }
                }
                while (reader.TryRead(out var command))
                {
                    await HandleAsync(command, cancellation);
                }
                if (reader.Completion.IsCompleted)
                {
                    break;
                }
                if (!_playing)
                {
                    continue;
                }
                if (!_ticket!.Granted.IsCompleted)
                {
                    // Every trainer is busy: wait in line for one (or for a command, such as pause), saying where.
                    int position = _trainers.PositionOf(_ticket);
                    if (position != lastPosition)
                    {
                        lastPosition = position;
                        await SendAsync(Status(), cancellation);
                    }
                    await Task.WhenAny(_ticket.Granted, CommandArrives(reader, cancellation), Task.Delay(250, cancellation));
                    if (_ticket?.Granted.IsCompleted == true)
                    {
                        lastPosition = 0;
                        _due = Stopwatch.GetTimestamp();
                        await SendAsync(Status(), cancellation);
                    }
                    continue;
                }
                if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _due) is { TotalMilliseconds: > 0.5 } early)
                {
                    // Ahead of the chosen speed: wait for the next epoch's time, or for a command.
                    await Task.WhenAny(CommandArrives(reader, cancellation), Task.Delay(early, cancellation));
                    continue;
                }
                try
                {
                    _trainingTime.Start();
                    RunEpoch();
                }
                catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
                {
                    await ReportFailureAsync("training", e, cancellation);
                    continue;
                }
                finally
                {
                    _trainingTime.Stop();
                }
                Schedule();
                if (_run.Epoch == _stopAt)
                {
                    Pause();
                    await SendAsync(Status(), cancellation);
                    await SendSnapshotAsync(cancellation);
                    continue;
                }
                if (lastSnapshot.Elapsed >= SnapshotInterval)
                {
                    await SendSnapshotAsync(cancellation);
                    lastSnapshot.Restart();
                }
                await Task.Yield();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The tab went away or the server is stopping: the training ends with it.
        }
        finally
        {
            Pause();
        }
        await receiving;
    }

    /// <summary>
    /// Completes when a command can be read (true) or none ever will (false). One wait is kept until it completes, so
    /// that waiting between paced epochs does not leave a waiter behind in the channel per epoch.
    /// </summary>
    private Task<bool> CommandArrives(ChannelReader<JsonObject> reader, CancellationToken cancellation)
    {
        if (_commandWait is null || _commandWait.IsCompleted)
        {
            _commandWait = reader.WaitToReadAsync(cancellation).AsTask();
        }
        return _commandWait;
    }

    /// <summary>When the next epoch is due at the chosen speed; a run that fell behind (a slow epoch) does not race to catch up.</summary>
    private void Schedule()
    {
        long now = Stopwatch.GetTimestamp();
        if (_epochsPerSecond is not { } rate)
        {
            _due = now;
            return;
        }
        _due += (long)(Stopwatch.Frequency / rate);
        if (Stopwatch.GetElapsedTime(_due, now) > MaxLag)
        {
            _due = now;
        }
    }

    private void Play()
    {
        if (_playing)
        {
            return;
        }
        _playing = true;
        _ticket = _trainers.Enter();
        _due = Stopwatch.GetTimestamp();
    }

    /// <summary>Stops training and gives the trainer slot (or the place in line) back.</summary>
    private void Pause()
    {
        _playing = false;
        if (_ticket is not null)
        {
            _trainers.Leave(_ticket);
            _ticket = null;
        }
    }

    private async Task HandleAsync(JsonObject command, CancellationToken cancellation)
    {
        try
        {
            await ExecuteAsync(command, cancellation);
        }
        catch (PlaygroundValidationException e)
        {
            // The page shows the message and keeps the state the server still has.
            await SendAsync(new JsonObject { ["type"] = "error", ["message"] = e.Message }, cancellation);
            await SendAsync(new JsonObject { ["type"] = "config", ["config"] = _config.ToJson() }, cancellation);
        }
        catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
        {
            await ReportFailureAsync($"'{command["type"]}'", e, cancellation);
        }
    }

    /// <summary>
    /// A failure of the server itself: pause and say so on the page rather than drop the
    /// connection, which would only make the page reconnect into the same failure.
    /// </summary>
    private async Task ReportFailureAsync(string what, Exception e, CancellationToken cancellation)
    {
        Pause();
        await SendAsync(new JsonObject { ["type"] = "error", ["message"] = $"the server failed on {what}: {e.Message}" }, cancellation);
        await SendAsync(Status(), cancellation);
    }

    private async Task ExecuteAsync(JsonObject command, CancellationToken cancellation)
    {
        string type = command["type"] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
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
            case "play":
                Play();
                await SendAsync(Status(), cancellation);
                break;
            case "pause":
                Pause();
                await SendAsync(Status(), cancellation);
                await SendSnapshotAsync(cancellation);
                break;
            case "pace":
                SetPace(command);
                await SendAsync(Status(), cancellation);
                break;
            case "step":
                Pause();
                RunEpoch();
                await SendAsync(Status(), cancellation);
                await SendSnapshotAsync(cancellation);
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
            case SessionInbox.Refused:
                throw new PlaygroundValidationException((string)command["message"]!);
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
    private void RunEpoch()
    {
        // One core per session, whatever the kernels could split between threads.
        using var oneCore = Kernels.Parallelism.LimitThisThread(1);
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

    private static int IntField(JsonObject command, string name, int largest = 1000)
    {
        double value = NumberField(command, name);
        if (value != Math.Floor(value) || Math.Abs(value) > largest)
        {
            throw new PlaygroundValidationException($"{command["type"]}: {name} must be an integer; got {value}");
        }
        return (int)value;
    }

    private static double NumberField(JsonObject command, string name)
    {
        if (command[name] is JsonValue v && PlaygroundConfig.AsDouble(v) is { } d && double.IsFinite(d))
        {
            return d;
        }
        throw new PlaygroundValidationException($"{command["type"]}: {name} must be a finite number; got {command[name]?.ToJsonString() ?? "nothing"}");
    }

    /// <summary>
    /// The speed ("epochsPerSecond": a number, or null for as fast as the engine goes) and the epoch to stop at
    /// ("stopAt": 0 or null for never); a field left out keeps its value.
    /// </summary>
    private void SetPace(JsonObject command)
    {
        if (command.ContainsKey("epochsPerSecond"))
        {
            if (command["epochsPerSecond"] is null)
            {
                _epochsPerSecond = null;
            }
            else
            {
                double rate = NumberField(command, "epochsPerSecond");
                if (rate is <= 0 or > MaxEpochsPerSecond)
                {
                    throw new PlaygroundValidationException(
                        $"pace: epochsPerSecond must be > 0 and <= {MaxEpochsPerSecond:0}, or null for as fast as possible; got {rate}");
                }
                _epochsPerSecond = rate;
            }
            _due = Stopwatch.GetTimestamp();
        }
        if (command.ContainsKey("stopAt"))
        {
            int stopAt = command["stopAt"] is null ? 0 : IntField(command, "stopAt", int.MaxValue);
            _stopAt = stopAt >= 0 ? stopAt : throw new PlaygroundValidationException($"pace: stopAt must be an epoch >= 0 (0: never); got {stopAt}");
        }
    }

    /// <summary>Whether the session plays, which trainer-line position it waits at (0: training or paused), the pace and the clock.</summary>
    private JsonObject Status() => new()
    {
        ["type"] = "status",
        ["playing"] = _playing,
        ["epoch"] = _run.Epoch,
        ["elapsed"] = _trainingTime.Elapsed.TotalSeconds,
        ["queued"] = _ticket is null ? 0 : _trainers.PositionOf(_ticket),
        ["trainers"] = _trainers.Slots,
        ["epochsPerSecond"] = _epochsPerSecond,
        ["stopAt"] = _stopAt,
    };

    private async Task SendStateAsync(CancellationToken cancellation)
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

    private Task SendSnapshotAsync(CancellationToken cancellation) => SendAsync(Snapshot(), cancellation);

    /// <summary>The network's state now and the history since the last snapshot, computed on one core as training is.</summary>
    private JsonObject Snapshot()
    {
        using var oneCore = Kernels.Parallelism.LimitThisThread(1);
        var (trainLoss, trainAccuracy) = _run.Evaluate(test: false);
        var (testLoss, testAccuracy) = _run.Evaluate(test: true);
        var confusion = _run.ConfusionMatrix();
        var snapshot = new JsonObject
        {
            ["type"] = "snapshot",
            ["epoch"] = _run.Epoch,
            ["elapsed"] = _trainingTime.Elapsed.TotalSeconds,
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

    private async Task SendAsync(JsonObject message, CancellationToken cancellation)
    {
        if (_socket.State != WebSocketState.Open)
        {
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellation);
    }
}
