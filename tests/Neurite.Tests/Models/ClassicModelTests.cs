using Neurite.Examples;

namespace Neurite.Tests.Models;

/// <summary>Logistic regression, XOR with a 2-2-1 network, and universal approximation (examples/).</summary>
public class ClassicModelTests
{
    [Fact]
    public void Logistic_regression_reaches_the_optimum_of_its_convex_loss()
    {
        var r = LogisticRegression.Fit();
        // At the minimum of the (convex) cross-entropy the gradient Xᵀ(σ(Xw + b) − y)/n vanishes.
        Assert.All(r.LossGradient, g => Assert.True(Math.Abs(g) < 1e-3, $"gradient {g} is not ≈ 0"));
        // Clouds at (±1, ±1) with σ = 1 overlap: the Bayes-optimal boundary x₁ + x₂ = 0 classifies
        // about 92% of the points; a symmetric problem gives nearly equal weights.
        Assert.InRange(r.Accuracy, 0.88, 0.96);
        Assert.True(r.Weights.All(w => w > 1), $"weights {string.Join(", ", r.Weights)}");
    }

    [Fact]
    public void A_two_two_one_network_solves_xor()
    {
        var r = XorNetwork.Fit();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(XorNetwork.Targets[i], MathF.Round(r.Predictions[i]));
        }
        Assert.True(r.Loss < 0.01, $"loss {r.Loss}");
    }

    [Fact]
    public void The_maximum_error_of_a_relu_layer_fitting_sine_shrinks_as_the_layer_widens()
    {
        var errors = UniversalApproximation.Widths.Select(width => UniversalApproximation.MaxError(width)).ToArray();
        for (int i = 1; i < errors.Length; i++)
        {
            Assert.True(errors[i] < errors[i - 1], $"width {UniversalApproximation.Widths[i]}: {errors[i]} is not below {errors[i - 1]}");
        }
        Assert.True(errors[^1] < 0.02, $"width 128 leaves a maximum error of {errors[^1]}");
    }

    [Fact]
    public void Each_example_prints_its_result()
    {
        var printed = new StringWriter();
        XorNetwork.Run(printed);
        LogisticRegression.Run(printed);
        string text = printed.ToString();
        Assert.Contains("1 XOR 1 = 0   predicted 0.0", text);
        Assert.Contains("training accuracy", text);
    }
}
