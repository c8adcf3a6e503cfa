using System.Text.Json.Nodes;
using Neurite.Serialization;
using Neurite.Tests.Support;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>
/// Autoencoders trained from specs at a reduced size: the first 400 Fashion-MNIST training images (Debian's
/// dataset-fashion-mnist, which test.sh installs), a quarter held out.
/// </summary>
public sealed class AutoencoderTrainingTests : IDisposable
{
    private readonly FashionMnistSubset _data = new("neurite-autoencoder-", 400);


    public void Dispose() => _data.Dispose();

    private string PathOf(string name) => _data.PathOf(name);

    private string Source => _data.Source;

    private static readonly string DenoisingMlp = """
        {"input": [784], "nodes": [
          {"name": "noise", "type": "gaussian_noise", "std": 0.3},
          {"name": "enc", "type": "linear", "out": 32}, {"name": "enc_relu", "type": "relu"},
          {"name": "code", "type": "linear", "out": 2},
          {"name": "dec", "type": "linear", "out": 32}, {"name": "dec_relu", "type": "relu"},
          {"name": "out", "type": "linear", "out": 784}],
         "autoencoder": {"code": "code"}, "loss": {"type": "bce_with_logits", "reduction": "sum_per_sample"},
         "optimizer": {"type": "adam", "lr": 0.003}, "batch_size": 32, "epochs": 5, "seed": 4,
         "data": {"source": "fashion-mnist", "scale": "minmax_global", "test_split": 0.25}}
        """;

    private TrainingRun Run(ModelSpec spec, string name, int? epochs = null)
    {
        Directory.CreateDirectory(PathOf(name));
        return TrainingRun.Create(spec, new RunOptions(Data: Source, Epochs: epochs, BatchSize: 32, ModelPath: PathOf($"{name}/{name}.safetensors")));
    }

    [Fact]
    public void Denoising_autoencoder_reconstruction_error_falls_and_the_same_seed_gives_the_same_codes()
    {
        var spec = ModelSpec.Parse(DenoisingMlp);
        var first = Run(spec, "first");
        var test = first.Data.Test!;
        double untrained = first.Trainer.Evaluate(test).Loss;
        var result = first.Execute();

        // Binary cross-entropy summed over 784 pixels: about 543 (784·ln 2) for an untrained decoder's logits near 0.
        Assert.InRange(untrained, 450, 650);
        Assert.True(result.Test!.Loss < 0.75 * untrained, $"held-out loss {result.Test.Loss} after training, {untrained} before");
        Assert.True(result.Fit.History[^1].TrainLoss < result.Fit.History[0].TrainLoss);
        // The noise is added in training only: evaluation is deterministic.
        Assert.Equal(result.Test.Loss, first.Trainer.Evaluate(test).Loss);

        var second = Run(spec, "second");
        second.Execute();
        var codes = Autoencoder.From(first.Spec, first.Trainer.Model).Encode(test.Features);
        Assert.Equal([test.Count, 2], codes.Shape.ToArray());
        Assert.Equal(codes.ToArray(), Autoencoder.From(second.Spec, second.Trainer.Model).Encode(test.Features).ToArray());
    }

    [Fact]
    public void Convolutional_autoencoder_example_trains_at_reduced_size()
    {
        var spec = TrainingRun.LoadSpec(Path.Combine(AppContext.BaseDirectory, "examples", "fashion-autoencoder.json"), Source) with
        {
            Data = new DataSpec(Source) { Scale = "minmax_global", TestSplit = 0.25 },
        };
        var run = Run(spec, "conv", epochs: 3);
        double untrained = run.Trainer.Evaluate(run.Data.Test!).Loss;
        var result = run.Execute();
        Assert.True(result.Test!.Loss < 0.9 * untrained, $"held-out loss {result.Test.Loss} after training, {untrained} before");
        var autoencoder = Autoencoder.From(run.Spec, run.Trainer.Model);
        Assert.Equal([1, 28, 28], autoencoder.ImageShape!);
        Assert.Equal([3, 1, 28, 28], autoencoder.AsImages(autoencoder.Decode(autoencoder.Encode(run.Data.Test!.Subset([0, 1, 2]).Features))).Shape.ToArray());
    }

    [Fact]
    public void Mlp_autoencoder_example_trains_at_reduced_size()
    {
        var spec = TrainingRun.LoadSpec(Path.Combine(AppContext.BaseDirectory, "examples", "fashion-mlp-autoencoder.json"), Source) with
        {
            Data = new DataSpec(Source) { Scale = "minmax_global", TestSplit = 0.25 },
        };
        var run = Run(spec, "mlp", epochs: 3);
        double untrained = run.Trainer.Evaluate(run.Data.Test!).Loss;
        var result = run.Execute();
        Assert.True(result.Test!.Loss < 0.9 * untrained, $"held-out loss {result.Test.Loss} after training, {untrained} before");
        Assert.Equal([2], Autoencoder.From(run.Spec, run.Trainer.Model).CodeShape);
    }

    private static (int Code, string Out, string Error) Cli(params string[] args) => CommandLineHarness.Run(args);

    [Fact]
    public void Vae_example_trains_reports_its_pictures_and_samples_and_encodes_from_the_command_line()
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "fashion-vae.json")))!;
        spec["data"] = new JsonObject { ["source"] = Source, ["scale"] = "minmax_global", ["test_split"] = 0.25 };
        spec["epochs"] = 3;
        spec["batch_size"] = 32;
        File.WriteAllText(PathOf("vae.json"), spec.ToJsonString());
        var train = Cli("train", PathOf("vae.json"), "--out", PathOf("vae/vae.safetensors"), "--json");
        Assert.True(train.Code == 0, train.Error);
        var result = JsonNode.Parse(train.Out.Trim().Split('\n')[^1])!;
        Assert.True(result["test_loss"]!.GetValue<double>() < 400, $"negative ELBO {result["test_loss"]}"); // 543 untrained, about 300 here
        Assert.InRange(result["code_knn_accuracy"]!.GetValue<double>(), 0.2, 1);
        Assert.InRange(result["pca_knn_accuracy"]!.GetValue<double>(), 0.2, 1);
        var pictures = result["pictures"]!.AsArray().Select(p => Path.GetFileName(p!.GetValue<string>())).ToArray();
        Assert.Equal(["vae.reconstructions.png", "vae.samples.png", "vae.manifold.png", "vae.codes.png", "vae.pca.png"], pictures);
        string report = File.ReadAllText(PathOf("vae/vae.report.html"));
        Assert.Contains("<h2>Autoencoder</h2>", report);
        Assert.Contains("<h2>Loss: the negative ELBO per sample</h2>", report);
        Assert.Contains("in the 2-D code", report);

        string model = PathOf("vae/vae.safetensors");
        Assert.Equal(0, Cli("sample", model, "--n", "16", "--out", PathOf("a.png"), "--seed", "3").Code);
        Assert.Equal(0, Cli("sample", model, "--n", "16", "--out", PathOf("b.png"), "--seed", "3").Code);
        Assert.Equal(0, Cli("sample", model, "--n", "16", "--out", PathOf("c.png"), "--seed", "4").Code);
        Assert.Equal(File.ReadAllBytes(PathOf("a.png")), File.ReadAllBytes(PathOf("b.png")));
        Assert.NotEqual(File.ReadAllBytes(PathOf("a.png")), File.ReadAllBytes(PathOf("c.png")));
        var manifold = Cli("sample", model, "--manifold", "5", "--out", PathOf("m.png"), "--json");
        Assert.True(manifold.Code == 0, manifold.Error);
        Assert.Equal(5 * 28, JsonNode.Parse(manifold.Out.Trim())!["width"]!.GetValue<int>());

        var encode = Cli("encode", model, "--data", Source, "--out", PathOf("codes.csv"));
        Assert.True(encode.Code == 0, encode.Error);
        var lines = File.ReadAllLines(PathOf("codes.csv"));
        Assert.Equal("code_0,code_1,label", lines[0]);
        Assert.Equal(401, lines.Length); // an idx: source has no test set: every sample is encoded
        var saved = TrainedModel.Load(model);
        var codes = Autoencoder.From(saved.Loaded.Spec, saved.Loaded.Module).Encode(saved.ReadData(Source).Features);
        Assert.Equal(codes.Data[0].ToString("R", System.Globalization.CultureInfo.InvariantCulture), lines[1].Split(',')[0]);

        // eval estimates the negative ELBO with sampled codes, as training does, the same way every time (the model's seed).
        var evaluations = Enumerable.Range(0, 2).Select(_ => Cli("eval", model, "--data", Source, "--json")).ToArray();
        Assert.True(evaluations[0].Code == 0, evaluations[0].Error);
        Assert.Equal(evaluations[0].Out, evaluations[1].Out);
        Assert.InRange(JsonNode.Parse(evaluations[0].Out.Trim())!["loss"]!.GetValue<double>(), 150, 400);

        var plain = Cli("sample", PathOf("nothing.safetensors"), "--out", PathOf("x.png"));
        Assert.Equal(1, plain.Code);
        Assert.Single(plain.Error.Trim().Split('\n'));
    }
}
