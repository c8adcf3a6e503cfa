using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Tests.Imaging;
using Neurite.Tests.Support;

namespace Neurite.Tests.Training;

/// <summary>
/// examples/fashion-rbm.json trained from the command line at a reduced size (32 hidden units, 4 epochs) on the first
/// 400 Fashion-MNIST training images, a quarter held out; then its samples and filters drawn by <c>neurite sample</c>.
/// </summary>
public sealed class BoltzmannTrainingTests : IDisposable
{
    private readonly FashionMnistSubset _data = new("neurite-rbm-", 400);


    public void Dispose() => _data.Dispose();

    private string PathOf(string name) => _data.PathOf(name);

    private string Source => _data.Source;

    private static (int Code, string Out, string Error) Cli(params string[] args) => CommandLineHarness.Run(args);

    [Fact]
    public void Rbm_example_trains_its_reconstruction_error_falls_and_the_same_seed_gives_the_same_samples()
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "fashion-rbm.json")))!;
        spec["layers"]![0]!["hidden"] = 32;
        spec["epochs"] = 4;
        spec["batch_size"] = 20;
        spec["data"]!["source"] = Source;
        spec["data"]!["test_split"] = 0.25;
        File.WriteAllText(PathOf("rbm.json"), spec.ToJsonString());
        var train = Cli("train", PathOf("rbm.json"), "--out", PathOf("rbm/rbm.safetensors"), "--json");
        Assert.True(train.Code == 0, train.Error);
        var result = JsonNode.Parse(train.Out.Trim().Split('\n')[^1])!;

        // Untrained (W ~ N(0, 0.01²), biases 0) every p(v | h) is about ½, so the error on binary pixels is about ¼.
        var history = File.ReadAllLines(PathOf("rbm/rbm.history.csv"));
        var columns = history[0].Split(',');
        double At(int epoch, string column) => double.Parse(history[epoch].Split(',')[Array.IndexOf(columns, column)], CultureInfo.InvariantCulture);
        Assert.InRange(At(1, "train_loss"), 0.05, 0.25);
        Assert.True(At(4, "train_loss") < At(1, "train_loss"), $"reconstruction error {At(4, "train_loss")} after 4 epochs, {At(1, "train_loss")} after 1");
        Assert.True(result["test_loss"]!.GetValue<double>() < 0.2, $"held-out reconstruction error {result["test_loss"]}"); // about 0.15 here
        Assert.True(At(4, "val_pseudo_log_likelihood") > At(1, "val_pseudo_log_likelihood"));
        // A random model's pseudo-log-likelihood is 784·log ½ ≈ −543 per image; the trained one's is far above.
        Assert.InRange(result["test_pseudo_log_likelihood"]!.GetValue<double>(), -400, 0);
        var pictures = result["pictures"]!.AsArray().Select(p => Path.GetFileName(p!.GetValue<string>())).ToArray();
        Assert.Equal(["rbm.samples.png", "rbm.filters.png"], pictures);
        string report = File.ReadAllText(PathOf("rbm/rbm.report.html"));
        Assert.Contains("<h2>Restricted Boltzmann machine</h2>", report);
        Assert.Contains("<h2>Pseudo-log-likelihood per sample</h2>", report);

        string model = PathOf("rbm/rbm.safetensors");
        // The same seed, the same file. (That another seed draws other samples is BoltzmannMachineTests' to show: the
        // hidden units of this small model saturate, so that its chains from any noise reach the same images.)
        Assert.Equal(0, Cli("sample", model, "--n", "9", "--steps", "20", "--out", PathOf("a.png"), "--seed", "3").Code);
        Assert.Equal(0, Cli("sample", model, "--n", "9", "--steps", "20", "--out", PathOf("b.png"), "--seed", "3").Code);
        Assert.Equal(File.ReadAllBytes(PathOf("a.png")), File.ReadAllBytes(PathOf("b.png")));
        // 3 × 3 tiles of 28 pixels with 2 pixels of padding between and around them: 3·30 + 2 = 92.
        Assert.Equal(("L", 92, 92), (PictureTests.Decode(PathOf("a.png")).Mode, PictureTests.Decode(PathOf("a.png")).Width, PictureTests.Decode(PathOf("a.png")).Height));

        var fromData = Cli("sample", model, "--n", "4", "--steps", "1", "--data", Source, "--out", PathOf("d.png"), "--json");
        Assert.True(fromData.Code == 0, fromData.Error);
        var filters = Cli("sample", model, "--filters", "--n", "100", "--out", PathOf("f.png"), "--json");
        Assert.True(filters.Code == 0, filters.Error);
        Assert.Equal(32, JsonNode.Parse(filters.Out.Trim())!["images"]!.GetValue<int>()); // as many as there are hidden units
        var decoded = PictureTests.Decode(PathOf("f.png"));
        // 6 × 6 tiles (32 filters) of 28 pixels with 1 pixel of padding: 6·29 + 1 = 175; each filter spans black to white.
        Assert.Equal(("L", 175, 175), (decoded.Mode, decoded.Width, decoded.Height));
        var firstTile = Enumerable.Range(1, 28).SelectMany(y => Enumerable.Range(1, 28).Select(x => decoded.Pixels[y * 175 + x])).ToArray();
        Assert.Equal((byte)0, firstTile.Min());
        Assert.Equal((byte)255, firstTile.Max());

        var notRbm = Cli("sample", model, "--steps", "0", "--out", PathOf("e.png"));
        Assert.NotEqual(0, notRbm.Code);
        Assert.Contains("--steps: expected 1 … 100000 Gibbs steps, got 0", notRbm.Error);
    }
}
