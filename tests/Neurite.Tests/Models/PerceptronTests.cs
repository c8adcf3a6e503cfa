using Neurite.Models;
using Neurite.Tensors;

namespace Neurite.Tests.Models;

public class PerceptronTests
{
    private static readonly Tensor TwoInputs = Tensor.From([[0f, 0f], [0f, 1f], [1f, 0f], [1f, 1f]]);

    [Theory]
    [InlineData("AND", new[] { 0, 0, 0, 1 })]
    [InlineData("OR", new[] { 0, 1, 1, 1 })]
    [InlineData("NAND", new[] { 1, 1, 1, 0 })]
    public void The_learning_rule_converges_on_linearly_separable_gates(string gate, int[] labels)
    {
        var perceptron = new Perceptron(2);
        var result = perceptron.Train(TwoInputs, labels);
        Assert.True(result.Converged, $"{gate}: {result.Summary}");
        Assert.Equal(0, result.MistakesPerEpoch[^1]);
        for (int n = 0; n < labels.Length; n++)
        {
            Assert.Equal(labels[n], perceptron.Predict(TwoInputs.Data.Slice(n * 2, 2)));
        }
    }

    [Fact]
    public void The_learning_rule_converges_on_not()
    {
        var perceptron = new Perceptron(1);
        var result = perceptron.Train(Tensor.From([[0f], [1f]]), [1, 0]);
        Assert.True(result.Converged);
        Assert.Equal(1, perceptron.Predict([0f]));
        Assert.Equal(0, perceptron.Predict([1f]));
    }

    [Fact]
    public void And_follows_the_rule_step_by_step()
    {
        // η = 1, w = b = 0. Epoch 1: (0,0): z = 0 → ŷ = 1, y = 0: b = −1. (0,1): z = −1 → 0 ✓.
        // (1,0): ✓. (1,1): z = −1 → 0, y = 1: w = [1, 1], b = 0. Two mistakes.
        var perceptron = new Perceptron(2);
        var result = perceptron.Train(TwoInputs, [0, 0, 0, 1], maxEpochs: 1);
        Assert.Equal([2], result.MistakesPerEpoch);
        Assert.Equal([1f, 1f], perceptron.Weights);
        Assert.Equal(0f, perceptron.Bias);
    }

    [Fact]
    public void On_xor_it_stops_after_the_epoch_bound_and_reports_no_linear_separation()
    {
        var perceptron = new Perceptron(2);
        var epochs = new List<int>();
        var result = perceptron.Train(TwoInputs, [0, 1, 1, 0], maxEpochs: 50, afterEpoch: (epoch, _) => epochs.Add(epoch));
        Assert.False(result.Converged);
        Assert.Equal(50, result.Epochs);
        Assert.Equal(50, epochs.Count);
        Assert.All(result.MistakesPerEpoch, wrong => Assert.True(wrong > 0));
        Assert.Contains("not linearly separable", result.Summary);
    }

    [Fact]
    public void Bad_training_input_is_refused_with_its_shape()
    {
        var perceptron = new Perceptron(2);
        Assert.Contains("[3, 2]", Assert.Throws<ArgumentException>(() => perceptron.Train(Tensor.Zeros([3, 2]), [0, 1])).Message);
        Assert.Throws<ArgumentException>(() => perceptron.Train(TwoInputs, [0, 1, 2, 0]));
        Assert.Contains("learningRate", Assert.Throws<ArgumentException>(() => perceptron.Train(TwoInputs, [0, 1, 1, 0], -1f)).Message);
    }

    [Fact]
    public void The_example_prints_each_gate_and_xor_failing()
    {
        var output = new StringWriter();
        Neurite.Examples.PerceptronGates.Run(output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("not linearly separable", Assert.Single(lines, line => line.StartsWith("XOR", StringComparison.Ordinal)));
        Assert.Equal(3, lines.Count(line => line.Contains("converged", StringComparison.Ordinal)));
    }
}
