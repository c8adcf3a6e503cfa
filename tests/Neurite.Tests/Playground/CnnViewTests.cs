using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.Playground;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Playground;

/// <summary>
/// The CNN view without a browser: the small CNN learns Fashion-MNIST's subset through the library's trainer, shows
/// its filters, feature maps and class probabilities, exports as a model file, and its session keeps to the trainer cap.
/// Needs Debian's dataset-fashion-mnist, which test.sh installs.
/// </summary>
public class CnnViewTests
{
    private static CnnData Data => CnnData.Load(Idx.FashionMnistDirectory);

    private static float[] Image(int galleryIndex) =>
        Data.Gallery.Features.Data.Slice(galleryIndex * 784, 784).ToArray();

    [Fact]
    public void The_data_are_fixed_subsets_scaled_to_the_unit_interval_with_two_gallery_images_per_class()
    {
        Assert.Equal([CnnData.TrainImages, 1, 28, 28], Data.Train.Features.Shape.ToArray());
        Assert.Equal(CnnData.TestImages, Data.Test.Count);
        Assert.Equal([0f, 0f, 1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f, 5f, 5f, 6f, 6f, 7f, 7f, 8f, 8f, 9f, 9f], Data.Gallery.Targets.ToArray());
        var pixels = Data.Train.Features.ToArray();
        Assert.Equal(0f, pixels.Min());
        Assert.Equal(1f, pixels.Max());
        Assert.Same(Data, CnnData.Load(Idx.FashionMnistDirectory));
    }

    [Fact]
    public void The_cnn_learns_and_shows_filters_feature_maps_and_probabilities()
    {
        using var oneCore = Neurite.Kernels.Parallelism.LimitThisThread(1);
        var run = new CnnRun(Data, 1);
        var (lossBefore, accuracyBefore) = run.Evaluate();
        var (filtersBefore, count, side) = run.Filters();
        Assert.Equal((8, 5), (count, side));
        Assert.Equal(8 * 25, filtersBefore.Length);
        var maps = run.FeatureMapsOf(Image(14));
        Assert.Equal(["0", "3"], maps.Select(m => m.Name));
        Assert.Equal(["[1, 8, 28, 28]", "[1, 16, 14, 14]"], maps.Select(m => Shapes.Format(m.Output.Shape)));

        for (int round = 0; round < 8; round++)
        {
            run.RunEpoch();
        }
        Assert.Equal(8, run.Epoch);
        Assert.Equal(8L * CnnRun.RoundImages, run.ImagesSeen);
        var (lossAfter, accuracyAfter) = run.Evaluate();
        // 2,048 images seen: well above chance (10%) and far below the untrained loss of about ln 10.
        Assert.True(accuracyAfter > 0.55 && accuracyAfter > accuracyBefore + 0.3, $"accuracy {accuracyBefore} → {accuracyAfter}");
        Assert.True(lossAfter < lossBefore - 0.8, $"loss {lossBefore} → {lossAfter}");
        Assert.NotEqual(filtersBefore, run.Filters().Values);

        var probabilities = run.Probabilities(Image(14)); // a sneaker (class 7)
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1f, probabilities.Sum(), 4);
        Assert.True(probabilities.All(p => p >= 0));
    }

    [Fact]
    public void The_exported_model_file_predicts_as_the_trained_network()
    {
        var run = new CnnRun(Data, 2);
        run.RunEpoch();
        var export = run.ExportModel();
        string path = Path.Combine(Path.GetTempPath(), $"neurite-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, Convert.FromBase64String((string)export["safetensors"]!));
            var loaded = ModelFile.Load(path);
            Assert.Contains("Ankle boot", loaded.Metadata[ModelFile.ClassesKey]);
            loaded.Module.Eval();
            using (Graph.NoGrad())
            {
                var logits = loaded.Module.Call(Tensor.From(Image(3), [1, 1, 28, 28]));
                Assert.Equal(run.Probabilities(Image(3)), Ops.Softmax(logits, 1).ToArray(), (a, b) => MathF.Abs(a - b) < 1e-5f);
            }
            Assert.Equal(1, (int)export["epochs_trained"]!);
            Assert.Equal("conv2d", (string?)export["spec"]!["layers"]![0]!["type"]);
            Assert.Equal([8, 1, 5, 5], export["state_dict"]!["0.weight"]!["shape"]!.AsArray().Select(d => (int)d!));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_cnn_session_trains_shows_the_chosen_or_drawn_image_and_keeps_to_the_trainer_cap()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 1 });
        await using var cnn = await PlaygroundClient.ConnectAsync(server, "ws/cnn");
        var gallery = await cnn.ReceiveAsync("gallery");
        Assert.Equal(20, gallery["labels"]!.AsArray().Count);
        Assert.Equal(20 * 784 * 4, Convert.FromBase64String((string)gallery["images"]!).Length);
        var first = await cnn.ReceiveAsync("snapshot");
        Assert.Equal(0, (int)first["epoch"]!);
        Assert.Equal(2, first["maps"]!.AsArray().Count);
        Assert.Equal(8 * 25 * 4, Convert.FromBase64String((string)first["filters"]!["values"]!).Length);

        // The network view's session holds the only trainer: the CNN's step waits in line.
        await using var mlp = await PlaygroundClient.ConnectAsync(server);
        await mlp.SendAsync("""{"type":"play"}""");
        await mlp.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 2);
        await cnn.SendAsync("""{"type":"step"}""");
        Assert.Equal(1, (int)(await cnn.ReceiveAsync("status", s => (bool)s["stepping"]!))["queued"]!);
        await mlp.SendAsync("""{"type":"pause"}""");
        var stepped = await cnn.ReceiveAsync("snapshot", s => (int)s["epoch"]! == 1);
        Assert.Equal(CnnRun.RoundImages, (long)stepped["imagesSeen"]!);
        Assert.Single(stepped["history"]!.AsArray());

        await cnn.SendAsync("""{"type":"chooseImage","index":5}""");
        Assert.Equal(5, (int)(await cnn.ReceiveAsync("snapshot"))["chosen"]!);
        string blank = "[" + string.Join(",", Enumerable.Repeat("0", 784)) + "]";
        await cnn.SendAsync($$"""{"type":"drawImage","pixels":{{blank}}}""");
        var drawn = await cnn.ReceiveAsync("snapshot");
        Assert.Equal(-1, (int)drawn["chosen"]!);
        Assert.Equal(10, drawn["probabilities"]!.AsArray().Count);

        await cnn.SendAsync("""{"type":"drawImage","pixels":[1,2]}""");
        Assert.Equal("drawImage: \"pixels\" must be 784 numbers from 0 to 1 (28 rows of 28); got 2 values", (string?)(await cnn.ReceiveAsync("error"))["message"]);
        await cnn.SendAsync("""{"type":"chooseImage","index":20}""");
        Assert.Equal("chooseImage: index must be from 0 to 19; got 20", (string?)(await cnn.ReceiveAsync("error"))["message"]);
        await cnn.SendAsync("""{"type":"exportModel"}""");
        Assert.NotNull((await cnn.ReceiveAsync("model"))["model"]!["safetensors"]);
    }

    [Fact]
    public async Task Without_the_data_set_the_cnn_page_is_told_how_to_install_it()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, FashionMnistDirectory = "/nonexistent/fashion" });
        await using var cnn = await PlaygroundClient.ConnectAsync(server, "ws/cnn");
        string message = (string)(await cnn.ReceiveAsync("error"))["message"]!;
        Assert.StartsWith("the CNN view needs Fashion-MNIST: fashion-mnist: /nonexistent/fashion/", message);
        Assert.Contains("apt-get install dataset-fashion-mnist", message);
    }
}
