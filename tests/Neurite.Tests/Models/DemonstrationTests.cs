using Neurite.Autograd;
using Neurite.Examples;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.Models;

/// <summary>The seeds' demonstrations that need no training: collapse, gradient flow.</summary>
public class DemonstrationTests
{
    [Fact]
    public void Gradients_vanish_through_ten_sigmoid_layers_but_not_through_relu_with_he_initialization()
    {
        var (sigmoidNorms, reluNorms) = VanishingGradients.Measure();

        // σ' ≤ 1/4, so each sigmoid layer shrinks the error signal by a factor of at least ~4 (with
        // PyTorch's default init, whose weights have std ≈ 1/√(3·fan_in)): the first layer's gradient
        // is orders of magnitude smaller than the last's. He initialization keeps ReLU's signal
        // variance constant, so its first and last layers stay within an order of magnitude.
        double sigmoidRatio = sigmoidNorms[0] / sigmoidNorms[^1];
        double reluRatio = reluNorms[0] / reluNorms[^1];
        Assert.True(sigmoidRatio < 1e-4, $"sigmoid first/last = {sigmoidRatio:e2}");
        Assert.True(reluRatio > 0.05, $"relu first/last = {reluRatio:e2}");
        Assert.True(reluRatio / sigmoidRatio > 1e4);
        // The sigmoid gradient shrinks layer by layer on the way back.
        for (int i = 0; i + 1 < sigmoidNorms.Length; i++)
        {
            Assert.True(sigmoidNorms[i] < sigmoidNorms[i + 1], $"layer {i}: {sigmoidNorms[i]:e2} vs {sigmoidNorms[i + 1]:e2}");
        }
        var printed = new StringWriter();
        VanishingGradients.Run(printed);
        Assert.Equal(VanishingGradients.Depth + 3, printed.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Two_stacked_linear_layers_equal_one_with_the_product_weight()
    {
        // Seeds 000 and 002: W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂).
        var first = new Linear(3, 4, rng: new Generator(1));
        var second = new Linear(4, 2, rng: new Generator(2));
        var stacked = new Sequential(first, second);
        var collapsed = new Linear(3, 2);
        collapsed.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Ops.MatMul(second.Weight, first.Weight).Detach(),
            ["bias"] = Ops.Add(Ops.MatMul(second.Weight, first.Bias!), second.Bias!).Detach(),
        });
        var x = Tensor.Uniform([6, 3], -2, 2, new Generator(3));
        var expected = stacked.Call(x).ToArray();
        var actual = collapsed.Call(x).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
        // A nonlinearity in between breaks the collapse.
        var bent = new Sequential(first, new ReLU(), second).Call(x).ToArray();
        Assert.Contains(bent.Zip(expected), pair => Math.Abs(pair.First - pair.Second) > 1e-3);
    }

    [Fact]
    public void Seed_002s_stacked_layers_collapse_with_its_numbers()
    {
        // W₁ = [[1, 2], [3, 4]], W₂ = [[0.5, −1], [1.5, 0.5]], x = [1, 1]: both paths give [−5.5, 8.0].
        var first = new Linear(2, 2, bias: false);
        var second = new Linear(2, 2, bias: false);
        first.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.From([[1f, 2f], [3f, 4f]]) });
        second.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.From([[0.5f, -1f], [1.5f, 0.5f]]) });
        var x = Tensor.From([[1f, 1f]]);
        Assert.Equal([-5.5f, 8f], new Sequential(first, second).Call(x).ToArray());
        var product = Ops.MatMul(second.Weight, first.Weight);
        Assert.Equal([-2.5f, -3f, 3f, 5f], product.ToArray());
    }
}
