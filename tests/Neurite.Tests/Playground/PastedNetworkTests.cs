using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>A network pasted with any number of inputs, and its forward pass: seed 002's worked examples, each one paste.</summary>
public class PastedNetworkTests
{
    /// <summary>Seed 002, example 1: one ReLU neuron with three inputs.</summary>
    public const string Example1 = """
        # seed 002, example 1: a single neuron with ReLU
        x = 2, 3, -1
        w = 0.5, -0.2, 0.8
        b = 0.1
        output = relu
        """;

    /// <summary>Seed 002, example 2: 2 inputs, 3 ReLU hidden units, 1 linear output.</summary>
    public const string Example2 = """
        x = 1, 2
        W1 = 0.2, -0.1; 0.4, 0.3; -0.5, 0.6
        b1 = 0.1, -0.2, 0.0
        W2 = 0.7, -0.3, 0.5
        b2 = 0.1
        activation = relu
        output = linear
        """;

    private static float[] Values(JsonNode? node) => [.. node!.AsArray().Select(v => (float)v!)];

    [Fact]
    public void Example_1_gives_z_of_minus_0_3_which_relu_silences()
    {
        var pass = PastedNetwork.Parse(Example1).Forward();
        Assert.Equal(3, (int)pass["inputs"]!);
        Assert.Equal(["relu"], pass["activations"]!.AsArray().Select(a => (string?)a));
        var sample = pass["samples"]![0]!;
        // z = (0.5)(2) + (−0.2)(3) + (0.8)(−1) + 0.1 = −0.3; a = max(0, −0.3) = 0.
        Assert.Equal(-0.3f, Values(sample["z"]![0])[0], 5);
        Assert.Equal([0f], Values(sample["a"]![0]));
    }

    [Fact]
    public void Example_2_gives_the_hidden_values_and_the_output_of_the_worked_example()
    {
        var pass = PastedNetwork.Parse(Example2).Forward();
        Assert.Equal([3, 1], pass["sizes"]!.AsArray().Select(s => (int)s!));
        Assert.Equal(["relu", "linear"], pass["activations"]!.AsArray().Select(a => (string?)a));
        var sample = pass["samples"]![0]!;
        Assert.Equal([0.1f, 0.8f, 0.7f], Values(sample["z"]![0]), (p, q) => MathF.Abs(p - q) < 1e-6f);
        Assert.Equal([0.1f, 0.8f, 0.7f], Values(sample["a"]![0]), (p, q) => MathF.Abs(p - q) < 1e-6f);
        // ŷ = (0.7)(0.1) + (−0.3)(0.8) + (0.5)(0.7) + 0.1 = 0.28.
        Assert.Equal(0.28f, Values(sample["z"]![1])[0], 5);
        Assert.Equal(0.28f, Values(sample["a"]![1])[0], 5);
        Assert.Equal("linear", (string?)pass["spec"]!["layers"]![0]!["type"]);
        Assert.Equal("relu", (string?)pass["spec"]!["layers"]![1]!["type"]);
    }

    [Fact]
    public void A_table_of_samples_and_column_biases_run_together_through_any_number_of_inputs()
    {
        var pass = PastedNetwork.Parse("""
            x = 1 0 0 0 0; 0 1 0 0 0; 1 1 1 1 1
            W1 = [1, 1, 1, 1, 1; -1, 0, 0, 0, 1]
            b1 = 0; 1
            W2 = 1 2
            activation = sigmoid
            """).Forward();
        Assert.Equal(5, (int)pass["inputs"]!);
        var samples = pass["samples"]!.AsArray();
        Assert.Equal(3, samples.Count);
        // Sample 3: z⁽¹⁾ = (5, 1); a⁽¹⁾ = σ(z⁽¹⁾); the output is linear: σ(5) + 2σ(1), b2 = 0 when left out.
        Assert.Equal([5f, 1f], Values(samples[2]!["z"]![0]));
        float expected = (1 / (1 + MathF.Exp(-5))) + (2 / (1 + MathF.Exp(-1)));
        Assert.Equal(expected, Values(samples[2]!["a"]![1])[0], 5);
        Assert.Equal([1f, 0f], Values(samples[0]!["z"]![0])); // (1 + 0, −1 + 1)
    }

    [Theory]
    [InlineData("w = 1, 2", "no inputs: add a line x = x₁, x₂, … (rows separated by ; for several samples)")]
    [InlineData("x = 1, 2", "no weights: add W1 = … (one row per neuron of layer 1, one column per input)")]
    [InlineData("x = 1, 2, 3\nW1 = 1, 2", "W1: each row needs 3 weights (x has 3 inputs); got 2")]
    [InlineData("x = 1, 2\nW1 = 1, 2; 3, 4\nW2 = 1, 2, 3", "W2: each row needs 2 weights (layer 1 has 2 neurons); got 3")]
    [InlineData("x = 1, 2\nW1 = 1, 2\nb1 = 1, 2", "b1: needs 1 values, one per neuron of W1; got 2")]
    [InlineData("x = 1, 2\nW1 = 1, 2\nW3 = 1", "W3 is given but W2 is not; layers are numbered from 1 without gaps")]
    [InlineData("x = 1, 2\nW1 = 1, 2; 3", "line 2: W1: every row needs the same number of values, at most 64; got rows of 2, 1")]
    [InlineData("x = 1, two", "line 1: x: 'two' is not a number from -1000 to 1000")]
    [InlineData("x = 1\ny = 2", "line 2: unknown name 'y'; known: x, W1 … W8, b1 … b8 (w and b for layer 1), activation, output")]
    [InlineData("x = 1\nW1 = 1\noutput = softmax", "line 3: output must be one of step, sigmoid, tanh, relu, leaky_relu, gelu, silu, linear; got 'softmax'")]
    [InlineData("x = 1\nx = 2", "line 2: x is given twice")]
    [InlineData("just text", "line 1: expected name = values (x, W1, b1, …, activation, output); got 'just text'")]
    public void A_bad_paste_is_refused_in_one_line_naming_the_line_or_the_layer(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<PlaygroundValidationException>(() => PastedNetwork.Parse(text)).Message);
    }

    [Fact]
    public async Task The_server_runs_a_paste_and_answers_400_with_the_message_for_a_bad_one()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        using var http = new HttpClient();
        var ok = await http.PostAsync(server.Url + "api/forward", new StringContent(Example2, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var pass = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.Equal(0.28f, Values(pass["samples"]![0]!["a"]![1])[0], 5);
        var bad = await http.PostAsync(server.Url + "api/forward", new StringContent("x = 1, 2, 3\nW1 = 1, 2", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("W1: each row needs 3 weights (x has 3 inputs); got 2", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]);
        var huge = await http.PostAsync(server.Url + "api/forward", new StringContent(new string('#', 30_000), Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
    }
}
