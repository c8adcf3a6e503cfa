using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Playground;

/// <summary>
/// The images the CNN view trains on: a fixed subset of Fashion-MNIST, pixels scaled to [0, 1], small enough that a
/// CNN on one core visibly learns within seconds, and a gallery of test images to pick from (two of each class).
/// </summary>
public sealed class CnnData
{
    /// <summary>Training images: the first this many of Fashion-MNIST's training set.</summary>
    public const int TrainImages = 2000;

    /// <summary>Held-out images: the first this many of Fashion-MNIST's test set.</summary>
    public const int TestImages = 300;

    /// <summary>Gallery images per class, from the test set after the held-out ones.</summary>
    public const int GalleryPerClass = 2;

    /// <summary>The side of an image, in pixels.</summary>
    public const int Side = 28;

    private static readonly Lock LoadLock = new();
    private static readonly Dictionary<string, CnnData> Loaded = [];

    private CnnData(Dataset train, Dataset test, Dataset gallery)
    {
        Train = train;
        Test = test;
        Gallery = gallery;
    }

    /// <summary>The training subset, [N, 1, 28, 28] in [0, 1].</summary>
    public Dataset Train { get; }

    /// <summary>The held-out subset.</summary>
    public Dataset Test { get; }

    /// <summary>The images the page offers to pick from, in class order.</summary>
    public Dataset Gallery { get; }

    /// <summary>
    /// The subsets from Fashion-MNIST in <paramref name="directory"/>, read once per process (reading the whole set
    /// takes a second or two) and shared by every session.
    /// </summary>
    /// <exception cref="FileNotFoundException">The data set is not installed; the message says how to install it.</exception>
    public static CnnData Load(string directory)
    {
        lock (LoadLock)
        {
            if (!Loaded.TryGetValue(directory, out var data))
            {
                var all = Idx.LoadFashionMnist(directory);
                var test = all.Test!;
                var labels = test.Targets.ToArray();
                var gallery = Enumerable.Range(0, test.ClassCount)
                    .SelectMany(c => Enumerable.Range(TestImages, test.Count - TestImages).Where(i => labels[i] == c).Take(GalleryPerClass))
                    .ToArray();
                data = new CnnData(Scaled(all.Train.Subset([.. Enumerable.Range(0, TrainImages)])),
                    Scaled(test.Subset([.. Enumerable.Range(0, TestImages)])), Scaled(test.Subset(gallery)));
                Loaded[directory] = data;
            }
            return data;
        }
    }

    /// <summary>The raw pixels 0 … 255 as 0 … 1.</summary>
    private static Dataset Scaled(Dataset data) =>
        new(Tensor.From([.. data.Features.ToArray().Select(v => v / 255f)], data.Features.Shape.ToArray()), data.Targets, data.Task, data.ClassNames);
}

/// <summary>
/// The CNN view's run: a small convolutional network (conv 8 5×5 → max pool → conv 16 5×5 → max pool → linear),
/// built from a Neurite model spec and trained by the library's <see cref="Trainer"/> one round at a time — a round
/// is <see cref="RoundImages"/> training images in mini-batches of <see cref="BatchSize"/> — and what the page draws:
/// the first layer's filters, every convolution's feature maps for one chosen image, and the class probabilities.
/// Not thread-safe: one session drives it.
/// </summary>
public sealed class CnnRun
{
    /// <summary>Training images per round (one call of <see cref="RunEpoch"/>).</summary>
    public const int RoundImages = 256;

    /// <summary>The mini-batch size.</summary>
    public const int BatchSize = 32;

    /// <summary>The network, as <c>neurite train</c> reads it.</summary>
    public const string SpecJson = """
        {
          "input": [1, 28, 28],
          "layers": [
            {"type": "conv2d", "out": 8, "kernel": 5, "padding": 2},
            {"type": "relu"},
            {"type": "max_pool2d", "kernel": 2},
            {"type": "conv2d", "out": 16, "kernel": 5, "padding": 2},
            {"type": "relu"},
            {"type": "max_pool2d", "kernel": 2},
            {"type": "flatten"},
            {"type": "linear", "out": 10}
          ],
          "loss": "cross_entropy",
          "optimizer": {"type": "adam", "lr": 0.002},
          "batch_size": 32
        }
        """;

    private readonly CnnData _data;
    private readonly Module _model;
    private readonly Trainer _trainer;
    private readonly Generator _order;
    private int[] _permutation;
    private int _next; // position in _permutation of the next round's first image

    /// <summary>A fresh network on <paramref name="data"/>; <paramref name="seed"/> seeds the weights and the order of the images.</summary>
    public CnnRun(CnnData data, ulong seed)
    {
        _data = data;
        Spec = ModelSpec.Parse(SpecJson, "the CNN view");
        _model = Spec.Build(new Generator(seed));
        _trainer = new Trainer(_model, Spec.Loss!.Objective(), Spec.Optimizer!.Build(_model.Parameters())) { Seed = seed };
        _order = new Generator(seed + 1);
        _permutation = _order.Permutation(data.Train.Count);
    }

    /// <summary>The network as a Neurite model spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Rounds trained so far.</summary>
    public int Epoch => _trainer.EpochsDone;

    /// <summary>Training images seen so far (with repeats once the subset is used up).</summary>
    public long ImagesSeen => (long)Epoch * RoundImages;

    /// <summary>The mean training loss of the last round; null before the first.</summary>
    public double? LastLoss { get; private set; }

    /// <summary>Trains one round: the next <see cref="RoundImages"/> of the shuffled training subset, a fresh order each pass.</summary>
    public void RunEpoch()
    {
        var indices = new int[RoundImages];
        for (int i = 0; i < RoundImages; i++)
        {
            if (_next == _permutation.Length)
            {
                _permutation = _order.Permutation(_data.Train.Count);
                _next = 0;
            }
            indices[i] = _permutation[_next++];
        }
        var loader = new DataLoader(_data.Train.Subset(indices), BatchSize);
        var result = _trainer.Fit(loader, null, _trainer.EpochsDone + 1);
        LastLoss = result.History[^1].TrainLoss;
    }

    /// <summary>Mean loss and accuracy on the held-out images.</summary>
    public (double Loss, double Accuracy) Evaluate()
    {
        var evaluation = _trainer.Evaluate(_data.Test);
        return (evaluation.Loss, evaluation.Classification!.Accuracy);
    }

    /// <summary>The first convolution's filters, [out, kh·kw], and their side.</summary>
    public (float[] Values, int Count, int Side) Filters()
    {
        var conv = FeatureMaps.FirstConv2d(_model)!.Value.Layer;
        return (FeatureMaps.FilterMeans(conv), conv.Weight.Shape[0], conv.Weight.Shape[2]);
    }

    /// <summary>Every convolution's output for <paramref name="image"/> [784] in evaluation mode, named by its state-dict prefix: [1, C, H, W] each.</summary>
    public IReadOnlyList<(string Name, Tensor Output)> FeatureMapsOf(float[] image) =>
        FeatureMaps.Capture(_trainer, Tensor.From(image, [1, 1, CnnData.Side, CnnData.Side]));

    /// <summary>The class probabilities (softmax of the logits) for <paramref name="image"/> [784].</summary>
    public float[] Probabilities(float[] image)
    {
        var logits = _trainer.Predict(Tensor.From(image, [1, 1, CnnData.Side, CnnData.Side]));
        using (Graph.NoGrad())
        {
            return Ops.Softmax(logits, 1).ToArray();
        }
    }

    /// <summary>
    /// The trained model as the network view exports its own: the spec, the state dict (PyTorch's names) and a Neurite
    /// <c>.safetensors</c> model file (base64) that <c>neurite predict</c> reads, naming Fashion-MNIST's classes.
    /// </summary>
    public JsonObject ExportModel()
    {
        var state = new JsonObject();
        foreach (var (name, tensor) in _model.StateDict())
        {
            state[name] = new JsonObject
            {
                ["shape"] = new JsonArray([.. tensor.Shape.ToArray().Select(d => (JsonNode?)d)]),
                ["data"] = new JsonArray([.. tensor.ToArray().Select(v => float.IsFinite(v) ? (JsonNode?)v : null)]),
            };
        }
        var metadata = new Dictionary<string, string> { [ModelFile.ClassesKey] = TrainingRun.Names(_data.Train.ClassNames) };
        return new JsonObject
        {
            ["spec"] = JsonNode.Parse(Spec.ToJson()),
            ["epochs_trained"] = Epoch,
            ["images_seen"] = ImagesSeen,
            ["state_dict"] = state,
            ["safetensors"] = Convert.ToBase64String(ModelFile.Serialize(_model, Spec, metadata)),
        };
    }
}
