using System.Text.Json.Nodes;
using Neurite.Serialization;
using Neurite.Tests.Support;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>
/// A small conditional DCGAN trained from a spec at a reduced size: the first 256 Fashion-MNIST training images (Debian's
/// dataset-fashion-mnist, which test.sh installs), narrow networks, a few steps.
/// </summary>
public sealed class GanTrainingTests : IDisposable
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private const int Images = 256;

    /// <summary>examples/fashion-dcgan.json's design, with 8 to 16 channels instead of 64 to 128 and an 8-value code.</summary>
    private const string Spec = """
        {"input": [1, 28, 28], "gan": {"latent": 8, "classes": 10,
          "generator": {"layers": [
            {"type": "unflatten", "dim": 1, "unflattened_size": [18, 1, 1]},
            {"type": "conv_transpose2d", "out": 16, "kernel": 7, "bias": false}, {"type": "batch_norm"}, {"type": "relu"},
            {"type": "conv_transpose2d", "out": 8, "kernel": 4, "stride": 2, "padding": 1, "bias": false}, {"type": "batch_norm"}, {"type": "relu"},
            {"type": "conv_transpose2d", "out": 1, "kernel": 4, "stride": 2, "padding": 1}, {"type": "tanh"}]},
          "discriminator": {"layers": [
            {"type": "conv2d", "out": 8, "kernel": 4, "stride": 2, "padding": 1}, {"type": "leaky_relu", "alpha": 0.2},
            {"type": "conv2d", "out": 16, "kernel": 4, "stride": 2, "padding": 1}, {"type": "leaky_relu", "alpha": 0.2},
            {"type": "conv2d", "out": 1, "kernel": 7}, {"type": "flatten"}]}},
         "batch_size": 32, "epochs": 2, "seed": 3, "data": {"source": "fashion-mnist"}}
        """;

    private readonly FashionMnistSubset _data = new("neurite-gan-", Images);

    public GanTrainingTests()
    {
        File.WriteAllText(PathOf("gan.json"), Spec);
    }

    public void Dispose() => _data.Dispose();

    private string PathOf(string name) => _data.PathOf(name);

    private string Source => _data.Source;

    private static (int Code, string Out, string Error) Cli(params string[] args) => CommandLineHarness.Run(args);

    private static JsonNode LastJson(string output) => JsonNode.Parse(output.Trim().Split('\n')[^1])!;

    [Fact]
    public void A_conditional_gan_trains_reports_samples_and_is_scored_from_the_command_line()
    {
        var train = Cli("train", PathOf("gan.json"), "--data", Source, "--out", PathOf("gan/gan.safetensors"), "--json");
        Assert.True(train.Code == 0, train.Error);
        var result = LastJson(train.Out);
        Assert.Equal(2, result["epochs"]!.GetValue<int>());
        Assert.Equal(16, result["steps"]!.GetValue<int>());
        foreach (string figure in new[] { "loss_d", "loss_g", "d_real", "d_fake" })
        {
            Assert.True(double.IsFinite(result[figure]!.GetValue<double>()), figure);
        }
        Assert.InRange(result["d_real"]!.GetValue<double>(), 0, 1);
        var history = File.ReadAllLines(PathOf("gan/gan.history.csv"));
        Assert.Equal(3, history.Length);
        Assert.EndsWith("loss_g,d_real,d_fake", history[0]);
        string report = File.ReadAllText(PathOf("gan/gan.report.html"));
        Assert.Contains("<h2>Samples</h2>", report);
        Assert.Contains("after epoch 1", report);
        Assert.Contains("after epoch 2", report);

        // The model file holds the pair; the same seed draws the same samples, another seed others.
        string model = PathOf("gan/gan.safetensors");
        var sample = Cli("sample", model, "--n", "20", "--out", PathOf("a.png"), "--seed", "3", "--json");
        Assert.True(sample.Code == 0, sample.Error);
        // Two columns of 28-pixel images and their 2-pixel padding: one class per row.
        Assert.Equal(2 + 2 * 30, LastJson(sample.Out)["width"]!.GetValue<int>());
        Assert.Equal(2 + 10 * 30, LastJson(sample.Out)["height"]!.GetValue<int>());
        Assert.Equal(0, Cli("sample", model, "--n", "20", "--out", PathOf("b.png"), "--seed", "3").Code);
        Assert.Equal(0, Cli("sample", model, "--n", "20", "--out", PathOf("c.png"), "--seed", "4").Code);
        Assert.Equal(File.ReadAllBytes(PathOf("a.png")), File.ReadAllBytes(PathOf("b.png")));
        Assert.NotEqual(File.ReadAllBytes(PathOf("a.png")), File.ReadAllBytes(PathOf("c.png")));
        var manifold = Cli("sample", model, "--manifold", "5", "--out", PathOf("m.png"));
        Assert.Equal(1, manifold.Code);
        Assert.Contains("--manifold: a latent manifold is drawn from a VAE's 2-D code, not from a GAN", manifold.Error);

        // A classifier (a linear one, fitted to the same images) scores the samples and the real images.
        File.WriteAllText(PathOf("classifier.json"), """
            {"input": [784], "layers": [{"type": "linear", "out": 10}], "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01},
             "epochs": 15, "batch_size": 32,
             "data": {"source": "fashion-mnist", "scale": "minmax_global"}}
            """);
        var classifier = Cli("train", PathOf("classifier.json"), "--data", Source, "--out", PathOf("cls/cls.safetensors"), "--json");
        Assert.True(classifier.Code == 0, classifier.Error);
        var samples = Cli("score", model, "--classifier", PathOf("cls/cls.safetensors"), "--n", "100", "--json");
        Assert.True(samples.Code == 0, samples.Error);
        var quality = LastJson(samples.Out);
        Assert.Equal(100, quality["images"]!.GetValue<int>());
        Assert.InRange(quality["inception_score"]!.GetValue<double>(), 1, 10);
        Assert.InRange(quality["coverage"]!.GetValue<double>(), 0, 1);
        Assert.Equal(0.05, quality["coverage_threshold"]!.GetValue<double>(), 12);
        Assert.Equal(10, quality["class_shares"]!.AsObject().Count);
        // The samples are drawn ten per class: the share the classifier assigns to their own class.
        Assert.InRange(quality["label_agreement"]!.GetValue<double>(), 0, 1);
        var real = Cli("score", "--data", Source, "--classifier", PathOf("cls/cls.safetensors"), "--n", "200", "--json");
        Assert.True(real.Code == 0, real.Error);
        Assert.Equal(200, LastJson(real.Out)["images"]!.GetValue<int>());
        // The classifier is right on most of its training images, spread over the ten classes: a score well above 1.
        Assert.InRange(LastJson(real.Out)["inception_score"]!.GetValue<double>(), 2, 10);
        Assert.Equal(1, Cli("score", model, "--data", Source, "--classifier", PathOf("cls/cls.safetensors")).Code);
    }

    [Fact]
    public void The_same_seed_trains_the_same_pair_and_draws_the_same_samples()
    {
        GanRun Run(string name) => GanRun.Create(ModelSpec.Parse(Spec), new RunOptions(Data: Source, Epochs: 1, BatchSize: 64, ModelPath: PathOf($"{name}/{name}.safetensors")));
        Directory.CreateDirectory(PathOf("first"));
        Directory.CreateDirectory(PathOf("second"));
        var first = Run("first");
        var second = Run("second");
        var fit = first.Execute();
        second.Execute();
        Assert.Equal(StopReason.Completed, fit.Reason);
        Assert.Equal(4, first.Trainer.Steps);
        Assert.Equal(first.Trainer.History[0].TrainLoss, second.Trainer.History[0].TrainLoss);
        Assert.Equal(first.EpochSamples[0].ToArray(), second.EpochSamples[0].ToArray());
        // One class per row of eight: the fixed labels of the report's grid.
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1], first.FixedLabels!.Take(9));
        Assert.Equal([80, 1, 28, 28], first.EpochSamples[0].Shape.ToArray());
        Assert.All(first.EpochSamples[0].ToArray(), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void A_resumed_run_trains_the_pair_the_uninterrupted_run_trains()
    {
        RunOptions Options(string name, int epochs, string? resume = null) =>
            new(Data: Source, Epochs: epochs, BatchSize: 64, Resume: resume, ModelPath: PathOf($"{name}/{name}.safetensors"));
        Directory.CreateDirectory(PathOf("whole"));
        Directory.CreateDirectory(PathOf("halves"));
        var whole = GanRun.Create(ModelSpec.Parse(Spec), Options("whole", 2));
        whole.Execute();
        var firstHalf = GanRun.Create(ModelSpec.Parse(Spec), Options("halves", 1));
        firstHalf.Execute();
        Assert.Equal(PathOf("halves/halves.last.ckpt.safetensors"), firstHalf.LastCheckpointPath);

        // The spec comes from the checkpoint: the one given is ignored, as a trainer's resume ignores it.
        var secondHalf = GanRun.Create(null!, Options("halves", 2, firstHalf.LastCheckpointPath));
        Assert.Single(secondHalf.Trainer.History);
        Assert.Equal(4, secondHalf.Trainer.Steps);
        Assert.Equal(2, secondHalf.FirstSampledEpoch);
        secondHalf.Execute();

        Assert.Equal(8, secondHalf.Trainer.Steps);
        Assert.Equal(whole.Trainer.History.Select(e => (e.TrainLoss, e.Metrics!["loss_g"])), secondHalf.Trainer.History.Select(e => (e.TrainLoss, e.Metrics!["loss_g"])));
        Assert.Equal(whole.EpochSamples[1].ToArray(), secondHalf.EpochSamples[0].ToArray());
        var expected = SafeTensors.Load(whole.ModelPath).Tensors;
        var actual = SafeTensors.Load(secondHalf.ModelPath).Tensors;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, entry => Assert.Equal(entry.Value.ToArray(), actual[entry.Key].ToArray()));
        // Both optimizers' moments too: a third epoch from either checkpoint would agree as well.
        var wholeCheckpoint = Checkpoint.Load(whole.LastCheckpointPath);
        var resumedCheckpoint = Checkpoint.Load(secondHalf.LastCheckpointPath);
        Assert.Equal([GanRun.DiscriminatorOptimizerName, GanRun.GeneratorOptimizerName], resumedCheckpoint.OptimizerStates.Keys.Order());
        foreach (var (name, state) in wholeCheckpoint.OptimizerStates)
        {
            var other = resumedCheckpoint.OptimizerStates[name];
            Assert.All(state.Parameters, p => Assert.Equal(p.Value.Buffers["exp_avg_sq"], other.Parameters[p.Key].Buffers["exp_avg_sq"]));
        }
    }

    [Fact]
    public void A_gan_checkpoint_does_not_resume_a_plain_run_and_a_plain_checkpoint_does_not_resume_a_gan()
    {
        Directory.CreateDirectory(PathOf("gan"));
        var run = GanRun.Create(ModelSpec.Parse(Spec), new RunOptions(Data: Source, Epochs: 1, BatchSize: 128, ModelPath: PathOf("gan/gan.safetensors")));
        run.Execute();
        var single = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(run.LastCheckpointPath).OptimizerState);
        Assert.Equal($"{run.LastCheckpointPath}: the checkpoint holds the optimizers {GanRun.DiscriminatorOptimizerName}, {GanRun.GeneratorOptimizerName}, not one \"optimizer\".", single.Message);

        var plainSpec = ModelSpec.Parse("""{"input": [784], "layers": [{"type": "linear", "out": 10}], "loss": "cross_entropy", "epochs": 1}""");
        var plain = TrainingRun.Create(plainSpec, new RunOptions(Data: Source, ModelPath: PathOf("plain/plain.safetensors")));
        Directory.CreateDirectory(PathOf("plain"));
        plain.Execute();
        var notGan = Assert.Throws<InvalidDataException>(() => GanRun.Create(null!, new RunOptions(Data: Source, Resume: plain.LastCheckpointPath, ModelPath: PathOf("x.safetensors"))));
        Assert.Equal($"{plain.LastCheckpointPath}: not a GAN's checkpoint (no \"gan\" in its spec)", notGan.Message);

        var cli = Cli("train", PathOf("gan.json"), "--resume", run.LastCheckpointPath, "--data", Source, "--epochs", "2", "--out", PathOf("gan/gan.safetensors"), "--json");
        Assert.True(cli.Code == 0, cli.Error);
        Assert.Equal(2, LastJson(cli.Out)["epochs"]!.GetValue<int>());
        Assert.Contains("after epoch 2", File.ReadAllText(PathOf("gan/gan.report.html")), StringComparison.Ordinal);
        Assert.DoesNotContain("after epoch 1<", File.ReadAllText(PathOf("gan/gan.report.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_conditional_gan_refuses_data_with_another_number_of_classes()
    {
        var spec = ModelSpec.Parse(Spec.Replace("\"classes\": 10", "\"classes\": 3", StringComparison.Ordinal).Replace("[18, 1, 1]", "[11, 1, 1]", StringComparison.Ordinal));
        var error = Assert.Throws<ArgumentException>(() => GanRun.Create(spec, new RunOptions(Data: Source, ModelPath: PathOf("x.safetensors"))));
        Assert.Equal("gan.classes: the GAN is conditioned on 3 classes, but the data has 10", error.Message);
    }
}
