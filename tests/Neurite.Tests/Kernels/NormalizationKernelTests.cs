using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Kernels;

/// <summary>The fused layer-norm kernel against the formula in double, and Ops.LayerNorm's gradients in x, γ and β.</summary>
public class NormalizationKernelTests
{
    [Theory]
    [InlineData(1, 1, true)]
    [InlineData(3, 7, true)]
    [InlineData(5, 33, false)]
    [InlineData(4, 130, true)]
    public void LayerNorm_forward_and_backward_match_the_formula_in_double(int rows, int n, bool affine)
    {
        var rng = new Generator((ulong)(rows * 1000 + n));
        float[] x = new float[rows * n], g = new float[rows * n], weight = affine ? new float[n] : [], bias = affine ? new float[n] : [];
        rng.FillUniform(x, -3f, 3f);
        rng.FillUniform(g, -1f, 1f);
        rng.FillUniform(weight, 0.5f, 1.5f);
        rng.FillUniform(bias, -1f, 1f);
        const float Eps = 1e-5f;
        float[] y = new float[rows * n], mean = new float[rows], rstd = new float[rows];
        Normalization.LayerNormForward(x, rows, n, weight, bias, Eps, y, mean, rstd);
        float[] dx = new float[rows * n], dWeight = new float[n], dBias = new float[n];
        Normalization.LayerNormBackward(x, rows, n, weight, mean, rstd, g, dx, affine ? dWeight : default, affine ? dBias : default, new float[2 * n]);

        double[] expectedDWeight = new double[n], expectedDBias = new double[n];
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * n, n).ToArray().Select(v => (double)v).ToArray();
            double mu = row.Average(), rho = 1 / Math.Sqrt(row.Sum(v => (v - mu) * (v - mu)) / n + Eps);
            var xhat = row.Select(v => (v - mu) * rho).ToArray();
            var gw = Enumerable.Range(0, n).Select(j => g[r * n + j] * (affine ? weight[j] : 1.0)).ToArray();
            double a = gw.Average(), b = gw.Zip(xhat, (p, q) => p * q).Average();
            Assert.Equal(mu, mean[r], 1e-5);
            Assert.Equal(rho, rstd[r], 1e-4 * rho);
            for (int j = 0; j < n; j++)
            {
                double expectedY = xhat[j] * (affine ? weight[j] : 1) + (affine ? bias[j] : 0);
                Assert.Equal(expectedY, y[r * n + j], 2e-5 * (1 + Math.Abs(expectedY)));
                // ∂x = ρ·(g′ − mean(g′) − x̂·mean(g′ ⊙ x̂))
                double expectedDx = rho * (gw[j] - a - xhat[j] * b);
                Assert.Equal(expectedDx, dx[r * n + j], 1e-4 * (1 + Math.Abs(expectedDx)));
                expectedDWeight[j] += g[r * n + j] * xhat[j];
                expectedDBias[j] += g[r * n + j];
            }
        }
        if (affine)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(expectedDWeight[j], dWeight[j], 1e-4 * (1 + Math.Abs(expectedDWeight[j])));
                Assert.Equal(expectedDBias[j], dBias[j], 1e-5 * (1 + Math.Abs(expectedDBias[j])));
            }
        }
    }

    [Fact]
    public void LayerNorm_op_is_differentiable_in_x_weight_and_bias()
    {
        Check(t => Ops.LayerNorm(t[0], [2, 3], t[1], t[2]), [Input([4, 2, 3], 1), Input([2, 3], 2), Input([2, 3], 3)], atol: 5e-3);
        Check(t => Ops.LayerNorm(t[0], [5]), [Input([3, 5], 4)], atol: 5e-3);
    }

    [Fact]
    public void LayerNorm_op_names_bad_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros([2, 3]), [4]));
        Assert.Equal("LayerNorm: input [2, 3] does not end in [4].", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros([2, 3]), [3], Tensor.Ones([3])));
        Assert.Equal("LayerNorm: weight and bias must both be [3] or both absent; got [3] and none.", e.Message);
        Assert.Throws<ArgumentException>(() => Normalization.LayerNormForward(new float[6], 2, 3, default, default, 1e-5f, new float[5], new float[2], new float[2]));
    }
}
