using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Neurite.Playground;

/// <summary>
/// One browser tab of the CNN view: trains its own <see cref="CnnRun"/> round by round while playing (pacing and the
/// trainer cap are <see cref="PacedSession"/>'s) and shows the network on the image the page chose or drew.
/// </summary>
/// <remarks>
/// Page → server, besides play, pause, pace and step: <c>reset</c>, <c>chooseImage {index}</c> (of the gallery),
/// <c>drawImage {pixels}</c> (784 values from 0 to 1, row by row), <c>exportModel</c>. Server → page: <c>gallery</c>
/// (the images, their labels, the class names), <c>status</c>, <c>snapshot</c>, <c>model</c>, <c>error</c>.
/// </remarks>
internal sealed class CnnSession : PacedSession
{
    private readonly CnnData _data;
    private CnnRun _run;
    private int _resets;
    private int _chosen; // the gallery image shown, or −1 for a drawing
    private float[] _image;
    private JsonArray _history = [];

    /// <summary>A session on an accepted socket, training as fast as one core allows until the page chooses a pace.</summary>
    public CnnSession(WebSocket socket, SessionLimits limits, TrainerGate trainers, CnnData data)
        : base(socket, limits, trainers, epochsPerSecond: null)
    {
        _data = data;
        _run = new CnnRun(data, 1);
        _image = GalleryImage(0);
    }

    /// <summary>Snapshots carry every feature map and a held-out evaluation: a few a second are plenty.</summary>
    protected override TimeSpan SnapshotInterval => TimeSpan.FromMilliseconds(400);

    /// <inheritdoc/>
    protected override int Epoch => _run.Epoch;

    /// <inheritdoc/>
    protected override void RunEpoch()
    {
        _run.RunEpoch();
        _history.Add(new JsonArray(_run.Epoch, Finite(_run.LastLoss)));
    }

    private float[] GalleryImage(int index)
    {
        int size = CnnData.Side * CnnData.Side;
        return _data.Gallery.Features.Data.Slice(index * size, size).ToArray();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(string type, JsonObject command, CancellationToken cancellation)
    {
        switch (type)
        {
            case "reset":
                Pause();
                _resets++;
                _run = new CnnRun(_data, 1 + (ulong)_resets);
                TrainingTime.Reset();
                _history = [];
                await SendAsync(Status(), cancellation);
                await SendSnapshotAsync(cancellation);
                break;
            case "chooseImage":
                int index = IntField(command, "index");
                if (index < 0 || index >= _data.Gallery.Count)
                {
                    throw new PlaygroundValidationException($"chooseImage: index must be from 0 to {_data.Gallery.Count - 1}; got {index}");
                }
                _chosen = index;
                _image = GalleryImage(index);
                await SendSnapshotAsync(cancellation);
                break;
            case "drawImage":
                _image = Pixels(command);
                _chosen = -1;
                await SendSnapshotAsync(cancellation);
                break;
            case "exportModel":
                await SendAsync(new JsonObject { ["type"] = "model", ["model"] = _run.ExportModel() }, cancellation);
                break;
            default:
                throw new PlaygroundValidationException(
                    $"unknown command '{type}'; known: play, pause, pace, step, reset, chooseImage, drawImage, exportModel");
        }
    }

    /// <summary>The "pixels" of a drawImage command: 28 × 28 numbers from 0 (black) to 1 (white), row by row.</summary>
    private static float[] Pixels(JsonObject command)
    {
        int size = CnnData.Side * CnnData.Side;
        if (command["pixels"] is not JsonArray pixels || pixels.Count != size)
        {
            throw new PlaygroundValidationException(
                $"drawImage: \"pixels\" must be {size} numbers from 0 to 1 ({CnnData.Side} rows of {CnnData.Side}); got {(command["pixels"] is JsonArray a ? a.Count + " values" : "none")}");
        }
        var image = new float[size];
        for (int i = 0; i < size; i++)
        {
            image[i] = pixels[i] is JsonValue v && PlaygroundConfig.AsDouble(v) is { } d && d is >= 0 and <= 1
                ? (float)d
                : throw new PlaygroundValidationException($"drawImage: pixel {i} must be a number from 0 to 1; got {pixels[i]?.ToJsonString() ?? "null"}");
        }
        return image;
    }

    /// <inheritdoc/>
    protected override async Task SendStateAsync(CancellationToken cancellation)
    {
        var gallery = _data.Gallery;
        await SendAsync(new JsonObject
        {
            ["type"] = "gallery",
            ["side"] = CnnData.Side,
            ["classNames"] = new JsonArray([.. gallery.ClassNames.Select(n => (JsonNode?)n)]),
            ["labels"] = new JsonArray([.. gallery.Targets.ToArray().Select(l => (JsonNode?)(int)l)]),
            ["images"] = Base64(gallery.Features.ToArray()),
            ["trainImages"] = _data.Train.Count,
            ["testImages"] = _data.Test.Count,
            ["roundImages"] = CnnRun.RoundImages,
            ["spec"] = JsonNode.Parse(_run.Spec.ToJson()),
        }, cancellation);
        await SendAsync(Status(), cancellation);
        await SendSnapshotAsync(cancellation);
    }

    /// <summary>The network now, on the chosen image, and the losses since the last snapshot; computed on one core as training is.</summary>
    protected override JsonObject Snapshot()
    {
        using var oneCore = Kernels.Parallelism.LimitThisThread(1);
        var (testLoss, testAccuracy) = _run.Evaluate();
        var (filters, count, side) = _run.Filters();
        var snapshot = new JsonObject
        {
            ["type"] = "snapshot",
            ["epoch"] = _run.Epoch,
            ["imagesSeen"] = _run.ImagesSeen,
            ["elapsed"] = TrainingTime.Elapsed.TotalSeconds,
            ["trainLoss"] = Finite(_run.LastLoss),
            ["testLoss"] = Finite(testLoss),
            ["testAccuracy"] = Finite(testAccuracy),
            // [round, training loss] of every round since the last snapshot.
            ["history"] = _history,
            ["chosen"] = _chosen,
            ["filters"] = new JsonObject { ["count"] = count, ["side"] = side, ["values"] = Base64(filters) },
            ["maps"] = new JsonArray([.. _run.FeatureMapsOf(_image).Select(m => (JsonNode?)new JsonObject
            {
                ["name"] = m.Name,
                ["channels"] = m.Output.Shape[1],
                ["height"] = m.Output.Shape[2],
                ["width"] = m.Output.Shape[3],
                ["values"] = Base64(m.Output.ToArray()),
            })]),
            ["probabilities"] = new JsonArray([.. _run.Probabilities(_image).Select(p => (JsonNode?)p)]),
        };
        _history = [];
        return snapshot;
    }

    /// <summary>Float32 values, little-endian, in base64, as the network view's heat maps.</summary>
    private static string Base64(float[] values) => Convert.ToBase64String(MemoryMarshal.AsBytes(values.AsSpan()));

    private static JsonNode? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
