using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Every activation's forward and backward against PyTorch (tests/reference/activations.json, written by
/// gen_activations.py: float32 inputs, computed in float64 and rounded) on a grid over [−8, 8] holding 0, both
/// saturated ends and points beside the kinks, at float32 precision: a derivative off by 1 % (which a
/// finite-difference check at 2 % lets through) fails here.
/// </summary>
public class ActivationReferenceTests
{
    private const string File = "activations.json";

    /// <summary>About 8 float32 ulps: PyTorch's vectorized exp, tanh and erf and .NET's differ by an ulp or two.</summary>
    private const double Relative = 1e-6;

    /// <summary>An absolute floor far below the values on the grid, so that small values are compared relatively too.</summary>
    private const double Absolute = 1e-12;

    /// <summary>
    /// Where a value is a small difference of larger terms, their rounding shows as an absolute error. A float32 ulp
    /// just below 1 is 6e-8: the derivatives that PyTorch too computes from the output (1 − y² for tanh, y(1 − y)
    /// for sigmoid) carry a few of those where y is within ulps of ±1.
    /// </summary>
    private static readonly Dictionary<string, double> Cancelling = new()
    {
        ["sigmoid"] = 2e-7,     // y(1 − y) with y near 1
        ["tanh"] = 2e-7,        // 1 − y² with y near ±1
        ["gelu"] = 3e-8,        // Φ(x) + x·φ(x) crosses 0 near x = −0.75; Φ is good to 1.2e-7 relative
        ["silu"] = 1e-8,        // σ(1 + x(1 − σ)) crosses 0 near x = −1.28
        ["softmax"] = 1e-8,     // y(g − Σ g·y): a sum of 16 terms, in another order
        ["log_softmax"] = 1e-7, // g − softmax·Σ g
    };

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Activation_and_its_derivative_match_torch(string name)
    {
        var c = Fixture.Case(File, name);
        Fixture.CheckForwardAndBackward(c, t => Forward(name, t["x"]), Relative, Cancelling.GetValueOrDefault(name, Absolute));
    }

    [Fact]
    public void A_derivative_off_by_one_percent_fails_the_comparison()
    {
        var c = Fixture.Case(File, "silu");
        var x = Fixture.ReadTensor(c.GetProperty("inputs").GetProperty("x"), requiresGrad: true);
        Forward("silu", x).Backward(Fixture.ReadTensor(c.GetProperty("upstream")));
        var expected = Fixture.ReadTensor(c.GetProperty("grads").GetProperty("x"));
        Fixture.AssertClose(expected, x.Grad, "silu", Relative, Cancelling["silu"]);
        var scaled = Tensor.From(x.Grad!.ToArray().Select(g => g * 1.01f).ToArray(), x.Grad.Shape.ToArray());
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Fixture.AssertClose(expected, scaled, "silu", Relative, Cancelling["silu"]));
    }

    [Fact]
    public void The_grid_holds_zero_both_ends_and_points_beside_the_kinks()
    {
        var x = Fixture.ReadTensor(Fixture.Case(File, "relu").GetProperty("inputs").GetProperty("x")).ToArray();
        Assert.Contains(0f, x);
        Assert.Equal(-8f, x.Min());
        Assert.Equal(8f, x.Max());
        Assert.Contains(1e-7f, x);
        Assert.Contains(-1e-7f, x);
    }

    private static Tensor Forward(string name, Tensor x) => name switch
    {
        "relu" => Ops.Relu(x),
        "sigmoid" => Ops.Sigmoid(x),
        "tanh" => Ops.Tanh(x),
        "leaky_relu" => Ops.LeakyRelu(x),
        "leaky_relu_0_2" => Ops.LeakyRelu(x, 0.2f),
        "elu" => Ops.Elu(x),
        "elu_1_5" => Ops.Elu(x, 1.5f),
        "gelu" => Ops.Gelu(x),
        "gelu_tanh" => Ops.GeluTanh(x),
        "silu" => Ops.Silu(x),
        "softplus" => Ops.Softplus(x),
        "softplus_beta_2_threshold_5" => Ops.Softplus(x, 2f, 5f),
        "softmax" => Ops.Softmax(x),
        "log_softmax" => Ops.LogSoftmax(x),
        "erf" => Ops.Erf(x),
        _ => throw new InvalidOperationException($"{File}: case {name} has no Neurite translation here; add one."),
    };
}
