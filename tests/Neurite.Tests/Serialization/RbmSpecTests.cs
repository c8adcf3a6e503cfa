using Neurite.NN;
using Neurite.Serialization;

namespace Neurite.Tests.Serialization;

/// <summary>The rbm layer type and data.binarize: what parses, round-trips, builds and is refused, each error one line naming the JSON path.</summary>
public class RbmSpecTests
{
    private static string Error(string json)
    {
        string message = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json)).Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    [Fact]
    public void An_rbm_spec_round_trips_and_builds_with_pytorch_rbm_names()
    {
        var spec = ModelSpec.Parse("""
            {"input": [784], "layers": [{"type": "rbm", "hidden": 64, "k": 3, "persistent": true}],
             "data": {"source": "fashion-mnist", "scale": "minmax_global", "binarize": 0.5}}
            """);
        Assert.Equal(new RbmSpec(64, 3, Persistent: true), Assert.Single(spec.Layers));
        Assert.Equal(0.5, spec.Data!.Binarize);
        Assert.True(spec.ReconstructsInput);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        var rbm = Assert.IsType<RestrictedBoltzmannMachine>(spec.Build().Modules().OfType<RestrictedBoltzmannMachine>().Single());
        Assert.Equal((3, true), (rbm.K, rbm.Persistent));
        // as an nn.Sequential's child 0: 0.weight [hidden, visible], 0.visible_bias, 0.hidden_bias
        Assert.Equal(
            [("0.weight", "64×784"), ("0.visible_bias", "784"), ("0.hidden_bias", "64")],
            spec.Build().NamedParameters().Select(p => (p.Key, string.Join("×", p.Value.Shape.ToArray()))));
        Assert.Equal(784 * 64 + 784 + 64, spec.Summarize().TotalParams);
        Assert.Equal(new RbmSpec(2, 1, false), ModelSpec.Parse("""{"input": [4], "layers": [{"type": "rbm", "hidden": 2}]}""").Layers.Single());
    }

    [Fact]
    public void Rbm_mistakes_name_the_field()
    {
        Assert.Contains("layers[0].hidden: missing", Error("""{"input": [4], "layers": [{"type": "rbm"}]}"""));
        Assert.Contains("layers[0].k: expected a positive integer", Error("""{"input": [4], "layers": [{"type": "rbm", "hidden": 2, "k": 0}]}"""));
        Assert.Contains("layers[0]: rbm takes a vector of visible units [V] per sample, got [1, 2, 2]",
            Error("""{"input": [1, 2, 2], "layers": [{"type": "rbm", "hidden": 2}]}"""));
        Assert.Contains("layers[1]: an rbm is a whole model: give it as the only entry of \"layers\", which has 2",
            Error("""{"input": [4], "layers": [{"type": "linear", "out": 4}, {"type": "rbm", "hidden": 2}]}"""));
        Assert.Contains("nodes[0]: an rbm is a whole model",
            Error("""{"input": [4], "nodes": [{"name": "r", "type": "rbm", "hidden": 2}]}"""));
        Assert.Contains("loss: an rbm's loss is the error of its reconstruction (probabilities), mse or bce; got cross_entropy",
            Error("""{"input": [4], "layers": [{"type": "rbm", "hidden": 2}], "loss": "cross_entropy"}"""));
        Assert.Contains("data.binarize: expected a threshold in (0, 1), got 1",
            Error("""{"input": [4], "layers": [{"type": "rbm", "hidden": 2}], "data": {"source": "xor", "binarize": 1}}"""));
    }
}
