using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>Pasting W and b for every layer at once: seed 000's ReLU triangle, and the messages for a paste that does not fit.</summary>
public class WeightImportTests
{
    /// <summary>h₁ = ReLU(x), h₂ = ReLU(x − 1), h₃ = ReLU(x − 2) and y = h₁ − 2h₂ + h₃: a triangle peaking at x = 1.</summary>
    public const string Triangle = """{"type":"setWeights","layers":[{"W":[[1],[1],[1]],"b":[0,-1,-2]},{"W":[[1,-2,1]],"b":[0]}]}""";

    [Fact]
    public async Task The_relu_triangle_pasted_whole_draws_a_triangle_over_x1()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        await client.SendAsync("""{"type":"configure","config":{"problem":"regression","dataset":"plane","features":["x1"],"hidden":[3],"activation":"relu"}}""");
        await client.ReceiveAsync("config", c => (int)c["config"]!["hidden"]![0]! == 3);
        await client.ReceiveAsync("snapshot");
        await client.SendAsync(Triangle);
        var snapshot = await client.ReceiveAsync("snapshot");
        Assert.Equal("[[1,-2,1]]", snapshot["weights"]![1]!.ToJsonString());
        Assert.Equal("[0,-1,-2]", snapshot["biases"]![0]!.ToJsonString());
        var output = Convert.FromBase64String((string)snapshot["neurons"]![2]![0]!);
        int size = PlaygroundRun.GridSize;
        var x1s = PlaygroundRun.GridPoints().Take(size).Select(p => p.X1).ToArray();
        for (int col = 0; col < size; col++)
        {
            float expected = MathF.Max(0, 1 - MathF.Abs(x1s[col] - 1));
            Assert.Equal(expected, BitConverter.ToSingle(output, 4 * col), 1e-5f);
        }
    }

    [Theory]
    [InlineData("""{"type":"setWeights","layers":[{"W":[[1],[1],[1]],"b":[0,-1,-2]}]}""",
        "setWeights: the network has 2 layers of weights (hidden layers and the output); got 1 W and 1 b")]
    [InlineData("""{"type":"setWeights","layers":[{"W":[[1,1,1]],"b":[0,-1,-2]},{"W":[[1,-2,1]],"b":[0]}]}""",
        "setWeights: layer 1's W must be 3 rows of 1 (out × in); got 1 rows of 3")]
    [InlineData("""{"type":"setWeights","layers":[{"W":[[1],[1],[1]],"b":[0,-1]},{"W":[[1,-2,1]],"b":[0]}]}""",
        "setWeights: layer 1's b must have 3 values; got 2")]
    [InlineData("""{"type":"setWeights","layers":[{"W":[[1],[1],[1]],"b":[0,-1,-2]},{"W":[[1,"x",1]],"b":[0]}]}""",
        "setWeights: layer 2: \"x\" is not a number")]
    [InlineData("""{"type":"setWeights","layers":[{"W":[[1],[1],[1]],"b":[0,-1,-2]},{"W":[[1,-2,1000]],"b":[0]}]}""",
        "setWeights: layer 2: values must be finite numbers from -100 to 100; got 1000")]
    [InlineData("""{"type":"setWeights","layers":{"W":[]}}""",
        "setWeights: \"layers\" must be a list of {\"W\": [[numbers]], \"b\": [numbers]}, input side first")]
    public async Task A_paste_that_does_not_fit_the_network_says_what_is_wrong(string command, string message)
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        await client.SendAsync("""{"type":"configure","config":{"problem":"regression","dataset":"plane","features":["x1"],"hidden":[3]}}""");
        await client.ReceiveAsync("config", c => (int)c["config"]!["hidden"]![0]! == 3);
        await client.SendAsync(command);
        Assert.Equal(message, (string?)(await client.ReceiveAsync("error"))["message"]);
    }
}
