using Neurite.Autograd;
using Neurite.Kernels;
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
    public void Gelu_normal_cdf_is_accurate_to_float_precision()
    {
        // erf values from a table (Abramowitz and Stegun, Table 7.1): Φ(z·√2) = ½(1 + erf(z)), Φ(−x) = 1 − Φ(x).
        (double z, double erf)[] table = [(0, 0), (0.1, 0.1124629160), (0.5, 0.5204998778), (1, 0.8427007929), (2, 0.9953222650), (3, 0.9999779095)];
        float[] x = [.. table.Select(entry => (float)(entry.z * Math.Sqrt(2))), .. table.Select(entry => (float)(-entry.z * Math.Sqrt(2)))];
        float[] cdf = new float[x.Length], gaussian = new float[x.Length];
        Elementwise.GaussianCdf(x, cdf, gaussian);
        for (int i = 0; i < table.Length; i++)
        {
            double expected = 0.5 * (1 + table[i].erf);
            // erfcc's relative error is below 1.2e-7; float arithmetic adds a few 1e-8.
            Assert.True(Math.Abs(cdf[i] - expected) < 1.5e-7, $"Φ({x[i]}) = {cdf[i]}, expected {expected}");
            Assert.True(Math.Abs(cdf[table.Length + i] - (1 - expected)) < 1.5e-7, $"Φ({x[table.Length + i]}) = {cdf[table.Length + i]}, expected {1 - expected}");
            Assert.Equal(Math.Exp(-table[i].z * table[i].z), gaussian[i], 1e-6);
        }
        // The negative tail keeps its relative accuracy (Φ from a table and erfc's asymptotic series), where ½(1 + erf)
        // would have cancelled to 0; float's rounding of x²/2 (up to 32 here) costs a few 1e-6.
        (float at, double phi)[] tail = [(-3f, 0.00134989803163009), (-5f, 2.86651571879194e-7), (-8f, 6.22096057427178e-16)];
        float[] tailCdf = new float[tail.Length];
        Elementwise.GaussianCdf(tail.Select(entry => entry.at).ToArray(), tailCdf, new float[tail.Length]);
        for (int i = 0; i < tail.Length; i++)
        {
            Assert.True(Math.Abs(tailCdf[i] - tail[i].phi) <= 1e-5 * tail[i].phi, $"Φ({tail[i].at}) = {tailCdf[i]}, expected {tail[i].phi}");
        }
    }

    [Fact]
    public void Gelu_kernel_matches_the_formula_in_double_on_every_length_and_between_threads()
    {
        // Lengths around the 256-float chunks and the split between threads; the same formula of Φ in double.
        static double Phi(double x)
        {
            // Φ(x) = ½·erfc(−x/√2), Numerical Recipes' erfcc in double.
            double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.5 * z);
            double half = 0.5 * t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
            return x >= 0 ? 1 - half : half;
        }
        foreach (int n in new[] { 0, 1, 17, 255, 256, 257, 70_001 })
        {
            var rng = new Generator((ulong)n + 1);
            float[] x = new float[n], g = new float[n], y = new float[n], dx = new float[n];
            rng.FillUniform(x, -6f, 6f);
            rng.FillUniform(g, -1f, 1f);
            Elementwise.Gelu(x, y);
            Elementwise.GeluBackward(g, x, dx);
            for (int i = 0; i < n; i++)
            {
                double phi = Phi(x[i]), density = Math.Exp(-0.5 * x[i] * x[i]) / Math.Sqrt(2 * Math.PI);
                Assert.Equal(x[i] * phi, y[i], 1e-6 + 1e-6 * Math.Abs(x[i]));
                Assert.Equal(g[i] * (phi + x[i] * density), dx[i], 1e-6);
            }
        }
        Assert.Equal([float.NaN, float.PositiveInfinity], new[] { float.NaN, float.PositiveInfinity }.Select(v => Ops.Gelu(Tensor.From([v])).Item()));
    }

    [Fact]
    public void Invalid_hyperparameters_name_the_argument_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new LeakyReLU(-0.1f));
        Assert.Contains("negativeSlope", e.Message);
        Assert.Contains("-0.1", e.Message);
    }
}
