using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

public class ActivationTests
{
    private static readonly Tensor Points = Tensor.From([-3f, -0.5f, 0f, 0.7f, 2.5f, 30f]);

    // Expected rows: torch 1.13, torch.nn.functional.<f>(torch.tensor([-3, -0.5, 0, 0.7, 2.5, 30])).
    public static TheoryData<string, float[]> TorchValues => new()
    {
        { "leaky_relu", [-0.03f, -0.005f, 0f, 0.7f, 2.5f, 30f] },
        { "elu", [-0.950213f, -0.3934693f, 0f, 0.7f, 2.5f, 30f] },
        { "gelu", [-0.004049867f, -0.1542688f, 0f, 0.5306255f, 2.484476f, 30f] },
        { "gelu_tanh", [-0.003637433f, -0.154286f, 0f, 0.5305701f, 2.484916f, 30f] },
        { "silu", [-0.1422776f, -0.1887703f, 0f, 0.4677314f, 2.310354f, 30f] },
        { "softplus", [0.04858735f, 0.474077f, 0.6931472f, 1.103186f, 2.57889f, 30f] },
    };

    private static Module Named(string name) => name switch
    {
        "leaky_relu" => new LeakyReLU(),
        "elu" => new ELU(),
        "gelu" => new GELU(),
        "gelu_tanh" => new GELU(tanhApproximation: true),
        "silu" => new SiLU(),
        "softplus" => new Softplus(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(TorchValues))]
    public void Activations_compute_what_pytorch_computes(string name, float[] expected)
    {
        var actual = Named(name).Call(Points).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-6f + 2e-6f * Math.Abs(expected[i]), $"{name}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Every_activation_is_differentiable()
    {
        int[] shape = [3, 5];
        Check(x => Ops.LeakyRelu(x[0]), [AwayFromZero(shape, 1)]);
        Check(x => Ops.LeakyRelu(x[0], 0.2f), [AwayFromZero(shape, 2)]);
        Check(x => Ops.Elu(x[0], 1.5f), [AwayFromZero(shape, 3)]);
        Check(x => Ops.Gelu(x[0]), [Input(shape, 4, -4f, 4f)]);
        Check(x => Ops.GeluTanh(x[0]), [Input(shape, 5, -4f, 4f)]);
        Check(x => Ops.Silu(x[0]), [Input(shape, 6, -6f, 6f)]);
        Check(x => Ops.Softplus(x[0]), [Input(shape, 7, -6f, 6f)]);
        Check(x => Ops.Softplus(x[0], 2f, 5f), [Input(shape, 8, -2f, 2f)]);
        Check(x => Ops.Erf(x[0]), [Input(shape, 9, -3f, 3f)]);
    }

    [Fact]
    public void Step_is_the_perceptron_threshold_and_passes_no_gradient()
    {
        var z = Tensor.From([-0.3f, 0f, 0.2f], requiresGrad: true);
        var y = new Step().Call(z);
        Assert.Equal([0f, 1f, 1f], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([0f, 0f, 0f], z.Grad!.ToArray());
    }

    [Fact]
    public void Saturating_activations_stay_finite_for_large_inputs()
    {
        var x = Tensor.From([-1000f, 1000f]);
        Assert.Equal([0f, 1f], Ops.Sigmoid(x).ToArray());
        Assert.Equal([-0f, 1000f], Ops.Silu(x).ToArray());
        Assert.Equal([0f, 1000f], Ops.Softplus(x).ToArray());
        Assert.Equal([-1f, 1000f], Ops.Elu(x).ToArray());
        Assert.Equal([-1f, 1f], Ops.Tanh(x).ToArray());
    }

    [Fact]
    public void The_normal_cdf_keeps_its_relative_accuracy_in_the_tail()
    {
        // Φ(x) = ½·erfc(−x/√2), from a table (Abramowitz and Stegun, 26.2) and erfc's asymptotic series.
        (double x, double phi)[] table =
        [
            (0, 0.5), (1, 0.841344746068543), (-1, 0.158655253931457), (-3, 0.00134989803163009),
            (-5, 2.86651571879194e-7), (-8, 6.22096057427178e-16), (3, 0.998650101968370),
        ];
        foreach (var (x, phi) in table)
        {
            Assert.True(Math.Abs(Ops.NormalCdf(x) - phi) <= 1.2e-7 * phi, $"Φ({x}) = {Ops.NormalCdf(x)}, expected {phi}");
        }
    }

    [Fact]
    public void Invalid_hyperparameters_name_the_argument_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new LeakyReLU(-0.1f));
        Assert.Contains("negativeSlope", e.Message);
        Assert.Contains("-0.1", e.Message);
    }
}
