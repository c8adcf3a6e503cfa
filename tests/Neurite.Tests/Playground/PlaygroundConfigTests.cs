using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

public class PlaygroundConfigTests
{
    private static PlaygroundConfig Merge(string json) => new PlaygroundConfig().Merge(JsonNode.Parse(json)!.AsObject());

    private static string Refused(string json) => Assert.Throws<PlaygroundValidationException>(() => Merge(json)).Message;

    [Fact]
    public void ThePagesJsonRoundTrips()
    {
        var config = Merge("""{"problem":"multiclass","dataset":"spirals","classes":4,"hidden":[8,8,3],"features":["x2","x1"],"learningRate":0.1,"optimizer":"adam","init":"he","dropout":0.2,"batchNorm":true,"seed":42}""");
        Assert.Equal("spirals", config.Dataset);
        Assert.Equal([8, 8, 3], config.Hidden);
        Assert.Equal(["x1", "x2"], config.Features); // canonical order, whatever order the clicks came in
        Assert.Equal(4, config.Outputs);
        Assert.True(JsonNode.DeepEquals(config.ToJson(), new PlaygroundConfig().Merge(config.ToJson()).ToJson()));
    }

    [Fact]
    public void APartialConfigurationKeepsTheOtherFields()
    {
        var config = Merge("""{"learningRate":0.3}""");
        Assert.Equal(0.3, config.LearningRate);
        var expected = new PlaygroundConfig().ToJson();
        expected["learningRate"] = 0.3;
        Assert.True(JsonNode.DeepEquals(expected, config.ToJson()));
    }

    [Fact]
    public void LearningRateSchedulesArePureFunctionsOfTheEpoch()
    {
        var step = Merge("""{"learningRate":0.1,"schedule":"step"}""");
        Assert.Equal(0.1, step.LearningRateAt(99));
        Assert.Equal(0.05, step.LearningRateAt(100));   // halved every 100 epochs
        Assert.Equal(0.025, step.LearningRateAt(250));
        var exponential = step with { Schedule = "exponential" };
        Assert.Equal(0.1 * 0.99 * 0.99, exponential.LearningRateAt(2), 12);
        var cosine = step with { Schedule = "cosine" };
        Assert.Equal(0.1, cosine.LearningRateAt(0), 12);
        Assert.Equal(0.1 * (0.01 + (0.99 * 0.5)), cosine.LearningRateAt(250), 12); // half way: cos(π/2) = 0
        Assert.Equal(0.001, cosine.LearningRateAt(500), 12);                       // floor: 1 % of the rate
        Assert.Equal(0.001, cosine.LearningRateAt(5000), 12);
        Assert.Equal(0.1, (step with { Schedule = "constant" }).LearningRateAt(1000));
    }

    [Theory]
    [InlineData("""{"schedule":"warmup"}""", "schedule: \"warmup\" is not one of constant, step, exponential, cosine")]
    [InlineData("""{"learningRate":-1}""", "learningRate: must be a finite number > 0 and <= 10; got -1")]
    [InlineData("""{"learningRate":0}""", "learningRate: must be a finite number > 0 and <= 10; got 0")]
    [InlineData("""{"learningRate":"NaN"}""", "learningRate: must be a finite number > 0 and <= 10; got \"NaN\"")]
    [InlineData("""{"learningRate":1e308}""", "learningRate: must be a finite number > 0 and <= 10; got 1e308")]
    [InlineData("""{"hidden":[4,9]}""", "hidden (neurons per layer): must be an integer from 1 to 8; got 9")]
    [InlineData("""{"hidden":[1,1,1,1,1,1,1]}""", "hidden: at most 6 entries; got 7")]
    [InlineData("""{"hidden":[2.5]}""", "hidden (neurons per layer): must be an integer from 1 to 8; got 2.5")]
    [InlineData("""{"batchSize":100000}""", "batchSize: must be an integer from 1 to 100; got 100000")]
    [InlineData("""{"noise":-5}""", "noise: must be an integer from 0 to 50; got -5")]
    [InlineData("""{"activation":"swish"}""", "activation: \"swish\" is not one of step, sigmoid, tanh, relu, leaky_relu, gelu, silu, linear")]
    [InlineData("""{"features":[]}""", "features: pick at least one input feature")]
    [InlineData("""{"features":["x3"]}""", "features: \"x3\" is not one of x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2")]
    [InlineData("""{"epochs":3}""", "unknown setting 'epochs'")]
    [InlineData("""{"dataset":"plane"}""", "dataset: 'plane' is not a classification data set; choose one of circles, xor, gaussians, spirals, custom")]
    [InlineData("""{"dropout":0.95}""", "dropout: must be a finite number from 0 to 0.9; got 0.95")]
    [InlineData("""{"batchNorm":"yes"}""", "batchNorm: must be true or false; got \"yes\"")]
    public void EveryFieldIsCheckedWithAMessageThatNamesIt(string json, string message) =>
        Assert.Equal(message, Refused(json));
}
