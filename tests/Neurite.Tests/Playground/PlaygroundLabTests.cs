using System.Net;
using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

public class PlaygroundLabTests
{
    /// <summary>The lesson as the page receives it (parsed back from its JSON text).</summary>
    private static JsonNode Sent(JsonObject lesson) => JsonNode.Parse(lesson.ToJsonString())!;

    [Theory]
    [InlineData("and", true)]
    [InlineData("or", true)]
    [InlineData("nand", true)]
    [InlineData("xor", false)]
    public void ThePerceptronSeparatesTheLinearGatesAndNeverXor(string gate, bool converges)
    {
        var lesson = Sent(PlaygroundLab.Perceptron(gate, 1, 50));
        Assert.Equal(converges, (bool)lesson["converged"]!);
        var epochs = lesson["epochs"]!.AsArray();
        var last = epochs[^1]!;
        Assert.Equal(converges ? 0 : 50, converges ? (int)last["mistakes"]! : epochs.Count);
        if (!converges)
        {
            Assert.All(epochs, e => Assert.True((int)e!["mistakes"]! > 0));
        }
        // The final line w·x + b = 0 classifies the points as the result says.
        float w1 = (float)last["w"]![0]!, w2 = (float)last["w"]![1]!, b = (float)last["b"]!;
        int right = lesson["points"]!.AsArray().Count(p =>
            ((w1 * (float)p![0]!) + (w2 * (float)p[1]!) + b >= 0 ? 1 : 0) == (int)p[2]!);
        Assert.Equal(converges, right == 4);
    }

    [Fact]
    public void TheApproximationFitIsTheSumOfItsReluHinges()
    {
        var lesson = Sent(PlaygroundLab.Approximate("abs", 8, 800, 1));
        var frames = lesson["frames"]!.AsArray();
        Assert.Equal(11, frames.Count); // start, every tenth, end
        double first = (double)frames[0]!["loss"]!, last = (double)frames[^1]!["loss"]!;
        Assert.True(last < 0.01 && last < first / 10, $"loss {first} -> {last}");
        var final = frames[^1]!;
        var hinges = final["hinges"]!.AsArray();
        Assert.Equal(8, hinges.Count);
        for (int i = 0; i < 121; i += 20)
        {
            double sum = (double)final["bias"]! + hinges.Sum(h => (double)h!["values"]![i]!);
            Assert.Equal((double)final["fit"]![i]!, sum, 4);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void The_approximation_lesson_fits_sin_2x_on_its_defaults_whatever_the_seed(int seed)
    {
        // The page's defaults: sin 2x, 12 units, 1000 epochs; the seed is what "re-roll" changes.
        var lesson = Sent(PlaygroundLab.Approximate("sin", 12, 1000, seed));
        var final = lesson["frames"]!.AsArray()[^1]!;
        Assert.True((double)final["loss"]! < 0.02, $"seed {seed}: loss {final["loss"]}");
        // No flat half: the fit follows the function on the right as on the left.
        var fit = final["fit"]!.AsArray().Select(v => (double)v!).ToArray();
        var y = lesson["y"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.True(Enumerable.Range(61, 60).Max(i => Math.Abs(fit[i] - y[i])) < 0.35, $"seed {seed}: the right half is off");
        // Another seed, another start.
        Assert.NotEqual(Sent(PlaygroundLab.Approximate("sin", 12, 1, seed + 10))["frames"]![0]!["fit"]!.ToJsonString(),
            lesson["frames"]![0]!["fit"]!.ToJsonString());
    }

    [Fact]
    public void ActivationsAndTheirDerivativesComeFromTheEngine()
    {
        var lesson = Sent(PlaygroundLab.Activations());
        var x = lesson["x"]!.AsArray().Select(v => (double)v!).ToArray();
        int zero = Array.IndexOf(x, 0.0);
        JsonNode Get(string name) => lesson["activations"]!.AsArray().First(a => (string)a!["name"]! == name)!;
        Assert.Equal(8, lesson["activations"]!.AsArray().Count);
        Assert.Equal(0.5, (double)Get("sigmoid")["y"]![zero]!, 6);
        Assert.Equal(0.25, (double)Get("sigmoid")["dy"]![zero]!, 6); // σ′(0) = σ(0)(1 − σ(0))
        Assert.Equal(1.0, (double)Get("tanh")["dy"]![zero]!, 6);
        Assert.Equal("(−1, 1)", (string)Get("tanh")["range"]!);
        // tanh saturates at the ends and not in the middle; ReLU is flat for x < 0.
        Assert.True((bool)Get("tanh")["saturated"]![0]! && !(bool)Get("tanh")["saturated"]![zero]!);
        Assert.True((bool)Get("relu")["saturated"]![10]! && !(bool)Get("relu")["saturated"]![x.Length - 10]!);
        Assert.Equal(1.0, x[zero + 20], 5);
        Assert.Equal(0.8413447 + 0.2419707, (double)Get("gelu")["dy"]![zero + 20]!, 4); // GELU′(1) = Φ(1) + φ(1)
        Assert.All(Get("step")["saturated"]!.AsArray(), s => Assert.True((bool)s!)); // no gradient at all
    }

    [Fact]
    public void APreviewIsASampleOfTheDataSetWithoutNoise()
    {
        var preview = Sent(PlaygroundLab.Preview("spirals", 4));
        var points = preview["points"]!.AsArray();
        Assert.InRange(points.Count, 100, 170);
        Assert.Equal([0.0, 1, 2, 3], points.Select(p => (double)p![2]!).Distinct().Order());
    }

    [Theory]
    [InlineData("api/preview?dataset=custom", "dataset: 'custom' is not one of circles, xor, gaussians, spirals, plane, multi-gaussian, blobs")]
    [InlineData("api/preview?dataset=blobs&classes=9", "classes: must be from 2 to 5; got 9")]
    [InlineData("api/perceptron?gate=xnor", "gate: 'xnor' is not one of and, or, nand, xor")]
    [InlineData("api/perceptron?epochs=1000", "epochs: must be from 1 to 200; got 1000")]
    [InlineData("api/perceptron?learningRate=abc", "learningRate: must be a number; got 'abc'")]
    [InlineData("api/approximate?units=100", "units: must be from 1 to 32; got 100")]
    [InlineData("api/approximate?units=2.5", "units: must be a whole number; got 2.5")]
    [InlineData("api/approximate?function=tan", "function: 'tan' is not one of sin, abs, square, step, bump, sawtooth")]
    public async Task LessonParametersAreValidated(string path, string message)
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        using var http = new HttpClient();
        var response = await http.GetAsync(server.Url + path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
    }
}
