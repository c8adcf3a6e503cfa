using System.Text.Json.Nodes;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Serialization;

/// <summary>The spec's <c>gan</c>: what parses, round-trips and builds, and what is refused, on one line with the field's path.</summary>
public sealed class GanSpecTests
{
    private static string Error(string json)
    {
        string message = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json)).Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    /// <summary>The reference pair's spec with one change made to its JSON.</summary>
    private static string Changed(Action<JsonObject> change)
    {
        var spec = JsonNode.Parse(GanReferenceTests.Spec)!.AsObject();
        change(spec);
        return spec.ToJsonString();
    }

    [Fact]
    public void The_example_parses_round_trips_and_builds_a_conditional_pair()
    {
        var spec = ModelSpec.Load(Path.Combine(AppContext.BaseDirectory, "examples", "fashion-dcgan.json"));
        var gan = spec.Gan!;
        Assert.Equal((64, 10), (gan.Latent, gan.Classes!.Value));
        Assert.Equal([74], gan.Generator.Input);
        Assert.Equal([11, 28, 28], gan.Discriminator.Input);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        var pair = Assert.IsType<Gan>(spec.Build());
        Assert.Contains("generator.1.weight", pair.StateDict().Keys);
        Assert.Contains("discriminator.0.weight", pair.StateDict().Keys);
        Assert.Equal(pair.ParameterCount, spec.Summarize().TotalParams);
        Assert.Contains(spec.Summarize().Layers, row => row.Name == "discriminator.5");
    }

    [Fact]
    public void Each_side_defaults_to_adam_with_dcgan_settings()
    {
        var spec = ModelSpec.Parse(Changed(s =>
        {
            s["gan"]!["generator"]!.AsObject().Remove("optimizer");
            s["gan"]!["discriminator"]!.AsObject().Remove("optimizer");
            s["gan"]!.AsObject().Remove("classes");
            s["gan"]!["generator"]!["layers"]![0]!["unflattened_size"] = new JsonArray(4, 1, 1);
        }));
        Assert.False(spec.Gan!.IsConditional);
        Assert.Equal([1, 8, 8], spec.Gan.Discriminator.Input);
        var options = Assert.IsType<AdamOptions>(spec.Gan.GeneratorOptimizer.Options);
        Assert.Equal((2e-4, 0.5, 0.999), (options.Lr, options.Beta1, options.Beta2));
        Assert.Equal(spec.Gan.GeneratorOptimizer, spec.Gan.DiscriminatorOptimizer);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
    }

    [Fact]
    public void Mistakes_name_the_field_on_one_line()
    {
        Assert.Contains("gan.generator: the generator must make images of the spec's input shape [1, 8, 8], but its output is [1, 16, 16]",
            Error(Changed(s =>
            {
                s["gan"]!["generator"]!["layers"]![4]!["stride"] = 4;
                s["gan"]!["generator"]!["layers"]![4]!["padding"] = 0;
            })));
        Assert.Contains("gan.discriminator: the discriminator must give one logit per image, [1], but its output is [2]",
            Error(Changed(s => s["gan"]!["discriminator"]!["layers"]![2]!["out"] = 2)));
        Assert.Contains("gan.discriminator.layers[1].alpha: ",
            Error(Changed(s => s["gan"]!["discriminator"]!["layers"]![1]!["alpha"] = -1)));
        Assert.Contains("gan.generator.layers[0].unflattened_size: ",
            Error(Changed(s => s["gan"]!["generator"]!["layers"]![0]!["unflattened_size"] = new JsonArray(7, 2, 1))));
        Assert.Contains("gan.generator.optimizer.betas: ",
            Error(Changed(s => s["gan"]!["generator"]!["optimizer"]!["betas"] = new JsonArray(0.5))));
        Assert.Contains("gan.latent: missing",
            Error(Changed(s => s["gan"]!.AsObject().Remove("latent"))));
        Assert.Contains("gan.classes: ",
            Error(Changed(s => s["gan"]!["classes"] = 1)));
        Assert.Contains("gan.critic: unknown field; a GAN takes latent, classes, generator, discriminator",
            Error(Changed(s => s["gan"]!["critic"] = new JsonObject())));
        Assert.Contains("gan.generator.input: unknown field",
            Error(Changed(s => s["gan"]!["generator"]!["input"] = new JsonArray(7))));
        Assert.Contains("loss: a GAN's networks, losses and optimizers are in \"gan\"",
            Error(Changed(s => s["loss"] = "mse")));
        Assert.Contains("input: a GAN draws images: expected their shape [C, H, W]",
            Error(Changed(s => s["input"] = new JsonArray(64))));
        Assert.Contains("data.scale: a GAN's images are scaled to [0, 1] by one range (minmax_global)",
            Error(Changed(s => s["data"] = new JsonObject { ["source"] = "fashion-mnist", ["scale"] = "standardize" })));
    }
}
