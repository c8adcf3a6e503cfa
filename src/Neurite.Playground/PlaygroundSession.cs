using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

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

    private readonly WebSocket _socket;
    private readonly SessionInbox _inbox;
    private PlaygroundConfig _config = new();
    private PlaygroundRun _run;
    private int _resets;
    private bool _playing;
    private JsonArray _history = [];
    private DataPoint[] _custom = [];

    /// <summary>A session on an accepted socket, with the default configuration until the page sends its own.</summary>
    public PlaygroundSession(WebSocket socket, SessionLimits limits)
    {
        _socket = socket;
        _inbox = new SessionInbox(socket, limits);
        _run = NewRun(_config);
    }

    /// <summary>Whether the session is training continuously now.</summary>
    public bool IsPlaying => _playing;

    private PlaygroundRun NewRun(PlaygroundConfig config)
    {
        var (train, test) = PlaygroundRun.MakeData(config, _custom);
        return new PlaygroundRun(config, train, test, (ulong)config.Seed * 7919UL + (ulong)_resets);
    }

    /// <summary>Runs until the socket closes or <paramref name="cancellation"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        var receiving = _inbox.ReceiveAsync(cancellation);
        try
        {
            await SendStateAsync(cancellation);
            var reader = _inbox.Commands;
            var lastSnapshot = Stopwatch.StartNew();
            while (!cancellation.IsCancellationRequested)
            {
                if (_playing)
                {
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
                    try
                    {
                        RunEpoch();
                    }
                    catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
                    {
                        await ReportFailureAsync("training", e, cancellation);
                        continue;
                    }
                    if (lastSnapshot.Elapsed >= SnapshotInterval)
                    {
                        await SendSnapshotAsync(cancellation);
                        lastSnapshot.Restart();
                    }
                    await Task.Yield();
                }
                else
                {
                    if (!await reader.WaitToReadAsync(cancellation))
                    {
                        break;
                    }
                    while (reader.TryRead(out var command))
                    {
                        await HandleAsync(command, cancellation);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The tab went away or the server is stopping: the training ends with it.
        }
        finally
        {
            _playing = false;
        }
        await receiving;
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
        _playing = false;
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
                _playing = true;
                await SendAsync(Status(), cancellation);
                break;
            case "pause":
                _playing = false;
                await SendAsync(Status(), cancellation);
                await SendSnapshotAsync(cancellation);
                break;
            case "step":
                _playing = false;
                RunEpoch();
                await SendAsync(Status(), cancellation);
                await SendSnapshotAsync(cancellation);
                break;
            case "reset":
                _playing = false;
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
                    $"unknown command '{type}'; known: configure, play, pause, step, reset, regenerate, setPoints, uploadCsv, setWeight, trace, exportModel");
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

    private static int IntField(JsonObject command, string name)
    {
        double value = NumberField(command, name);
        if (value != Math.Floor(value) || Math.Abs(value) > 1000)
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

    private JsonObject Status() => new() { ["type"] = "status", ["playing"] = _playing, ["epoch"] = _run.Epoch };

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

    private async Task SendSnapshotAsync(CancellationToken cancellation)
    {
        var (trainLoss, trainAccuracy) = _run.Evaluate(test: false);
        var (testLoss, testAccuracy) = _run.Evaluate(test: true);
        var confusion = _run.ConfusionMatrix();
        var snapshot = new JsonObject
        {
            ["type"] = "snapshot",
            ["epoch"] = _run.Epoch,
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
            ["neurons"] = new JsonArray(_run.NeuronGrids().Select(layer =>
                (JsonNode?)new JsonArray(layer.Select(n => (JsonNode?)Grid(n)).ToArray())).ToArray()),
        };
        _history = [];
        await SendAsync(snapshot, cancellation);
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
