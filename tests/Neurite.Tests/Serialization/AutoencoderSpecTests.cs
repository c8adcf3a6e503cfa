using Neurite.NN;
using Neurite.Serialization;

namespace Neurite.Tests.Serialization;

/// <summary>The spec's autoencoder entry and the layer types autoencoders use: what parses, round-trips and is refused, with the field's path.</summary>
public class AutoencoderSpecTests
{
    private const string Nodes = """
        "nodes": [{"name": "enc", "type": "linear", "out": 3}, {"name": "code", "type": "linear", "out": 2},
                  {"name": "dec", "type": "linear", "out": 4}]
        """;

    private static string Error(string json) => Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json)).Message;

    [Fact]
    public void An_autoencoder_spec_round_trips_and_builds_a_graph()
    {
        var spec = ModelSpec.Parse($$$"""{"input": [4], {{{Nodes}}}, "autoencoder": {"code": "code"}, "loss": {"type": "bce_with_logits", "reduction": "sum_per_sample"}}""");
        Assert.Equal("code", spec.Autoencoder!.Code);
        Assert.Equal("sum_per_sample", spec.Loss!.Reduction);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        Assert.Contains("\"autoencoder\": {", spec.ToJson());
        Assert.IsType<GraphModule>(spec.Build());
        Assert.Equal([2], spec.NodeShape("code"));
    }

    [Fact]
    public void Autoencoder_mistakes_name_the_field()
    {
        Assert.Contains("autoencoder: an autoencoder is a graph",
            Error("""{"input": [4], "layers": [{"type": "linear", "out": 4}], "autoencoder": {"code": "0"}}"""));
        Assert.Contains("autoencoder.code: unknown node \"z\"; known: enc, code, dec",
            Error($$$"""{"input": [4], {{{Nodes}}}, "autoencoder": {"code": "z"}}"""));
        Assert.Contains("autoencoder.code: missing",
            Error($$$"""{"input": [4], {{{Nodes}}}, "autoencoder": {}}"""));
        Assert.Contains("output: an autoencoder's output reconstructs its input [4] (4 values), but node \"code\" gives [2] (2 values)",
            Error($$$"""{"input": [4], {{{Nodes}}}, "output": "code", "autoencoder": {"code": "enc"}}"""));
        // A skip connection from the input to the decoder: the decoder would need the input, not only the code.
        Assert.Contains("autoencoder.code: node \"cat\" takes the input \"input\" on the way to the output without passing node \"code\"",
            Error("""
                {"input": [4], "nodes": [{"name": "code", "type": "linear", "out": 2},
                 {"name": "cat", "type": "concat", "inputs": ["code", "input"]}, {"name": "dec", "type": "linear", "out": 4}],
                 "autoencoder": {"code": "code"}}
                """));
        Assert.Contains("loss.reduction: unknown reduction \"sum\"",
            Error($$$"""{"input": [4], {{{Nodes}}}, "loss": {"type": "mse", "reduction": "sum"}}"""));
        Assert.Contains("loss.reduction: unknown field",
            Error("""{"input": [4], "layers": [{"type": "linear", "out": 3}], "loss": {"type": "cross_entropy", "reduction": "sum_per_sample"}}"""));
    }

    [Fact]
    public void The_layers_of_autoencoders_check_their_shapes()
    {
        var spec = ModelSpec.Parse("""
            {"input": [1, 4, 4], "nodes": [{"name": "noise", "type": "gaussian_noise", "std": 0.1}, {"name": "flat", "type": "flatten"},
             {"name": "mu", "type": "linear", "out": 3}, {"name": "logvar", "type": "linear", "out": 3, "inputs": ["flat"]},
             {"name": "z", "type": "gaussian_sample", "inputs": ["mu", "logvar"]}, {"name": "dec", "type": "linear", "out": 16},
             {"name": "image", "type": "unflatten", "dim": 1, "unflattened_size": [1, 4, 4]}], "autoencoder": {"code": "z"}}
            """);
        Assert.Equal([[1, 4, 4], [16], [3], [3], [3], [16], [1, 4, 4]], spec.OutputShapes());
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));

        Assert.Contains("nodes[2].inputs: gaussian_sample takes the mean and the log-variance, of one shape; got [3] (a), [2] (b)",
            Error("""{"input": [4], "nodes": [{"name": "a", "type": "linear", "out": 3}, {"name": "b", "type": "linear", "out": 2, "inputs": ["input"]}, {"name": "z", "type": "gaussian_sample", "inputs": ["a", "b"]}]}"""));
        Assert.Contains("nodes[0].inputs: gaussian_sample takes 2 inputs, got 1",
            Error("""{"input": [4], "nodes": [{"name": "z", "type": "gaussian_sample"}]}"""));
        Assert.Contains("layers[0].unflattened_size: [3, 3] holds 9 values, but axis 1 of the input [8] has 8",
            Error("""{"input": [8], "layers": [{"type": "unflatten", "unflattened_size": [3, 3]}]}"""));
        Assert.Contains("layers[0].std: missing",
            Error("""{"input": [8], "layers": [{"type": "gaussian_noise"}]}"""));
        Assert.Contains("layers[0].std: expected a number >= 0",
            Error("""{"input": [8], "layers": [{"type": "gaussian_noise", "std": -1}]}"""));
    }
}
