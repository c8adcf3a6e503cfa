using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Kernels;

/// <summary>Batch normalization's kernels against plain loops in double, on awkward sizes and split between threads.</summary>
[Collection(GlobalSettingsCollection.Name)]
public class NormalizationKernelTests
{
    /// <summary>[n, channels, size]: size 1 (rows of channels), below, at and around the 8-float vector, and one large
    /// enough to split its channels between threads.</summary>
    public static TheoryData<int, int, int> Layouts => new()
    {
        { 5, 3, 1 }, { 2, 17, 1 }, { 3, 2, 3 }, { 4, 3, 7 }, { 2, 2, 8 }, { 3, 4, 9 }, { 2, 3, 17 }, { 2, 5, 64 }, { 3, 2, 65 },
        { 4, 9, 1000 },
    };

    private static float[] Random(int length, int seed, float offset = 0)
    {
        var values = new float[length];
        new Generator((ulong)seed).FillUniform(values, offset - 3f, offset + 3f);
        return values;
    }

    private static int At(int i, int c, int k, int channels, int size) => (i * channels + c) * size + k;

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Each_pass_matches_a_loop(int n, int channels, int size)
    {
        int count = n * channels * size;
        var x = Random(count, 1, offset: 20f); // a mean far from 0: the passes must subtract it before squaring
        var g = Random(count, 2);
        var (scale, shift, offset, slope) = (Random(channels, 3), Random(channels, 4), Random(channels, 5), Random(channels, 6));

        var mean = new float[channels];
        var variance = new float[channels];
        Normalization.Moments(x, n, channels, size, mean, variance);
        var y = new float[count];
        Normalization.Normalize(x, n, channels, size, mean, scale, shift, y);
        var (sumG, dot) = (new float[channels], new float[channels]);
        Normalization.BackwardSums(g, x, n, channels, size, mean, sumG, dot);
        var dx = new float[count];
        Normalization.InputGradient(g, x, n, channels, size, mean, offset, slope, scale, dx);

        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0, gradSum = 0, centeredDot = 0;
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < size; k++)
                {
                    sum += x[At(i, c, k, channels, size)];
                }
            }
            double m = sum / (n * size);
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < size; k++)
                {
                    int j = At(i, c, k, channels, size);
                    squares += (x[j] - m) * (x[j] - m);
                    gradSum += g[j];
                    centeredDot += g[j] * (x[j] - (double)mean[c]);
                    Assert.Equal((x[j] - (double)mean[c]) * scale[c] + shift[c], y[j], 1e-4);
                    Assert.Equal((g[j] - offset[c] - (x[j] - (double)mean[c]) * slope[c]) * scale[c], dx[j], 1e-4);
                }
            }
            Assert.Equal(m, mean[c], 1e-4);
            Assert.Equal(squares / (n * size), variance[c], 1e-4);
            Assert.Equal(gradSum, sumG[c], 1e-3);
            Assert.Equal(centeredDot, dot[c], 1e-3);
        }
    }

    [Fact]
    public void Splitting_the_channels_between_threads_gives_the_same_bits()
    {
        const int n = 4, channels = 9, size = 1000;
        var x = Random(n * channels * size, 7);
        var g = Random(n * channels * size, 8);
        var scale = Random(channels, 9);
        var results = new List<float[]>();
        int previous = Parallelism.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                var (mean, variance, sumG, dot) = (new float[channels], new float[channels], new float[channels], new float[channels]);
                var (y, dx) = (new float[x.Length], new float[x.Length]);
                Normalization.Moments(x, n, channels, size, mean, variance);
                Normalization.Normalize(x, n, channels, size, mean, scale, variance, y);
                Normalization.BackwardSums(g, x, n, channels, size, mean, sumG, dot);
                Normalization.InputGradient(g, x, n, channels, size, mean, sumG, dot, scale, dx);
                results.Add([.. mean, .. variance, .. y, .. sumG, .. dot, .. dx]);
            }
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Fact]
    public void Layouts_that_do_not_fit_are_refused()
    {
        var x = new float[24];
        var e = Assert.Throws<ArgumentException>(() => Normalization.Moments(x, 2, 3, 5, new float[3], new float[3]));
        Assert.Equal("Moments: [n 2, channels 3, size 5] does not describe 24 elements.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Normalization.Normalize(x, 2, 3, 4, new float[3], new float[2], new float[3], new float[24]));
        Assert.Equal("Normalize: a per-channel span holds 2 elements, fewer than the 3 channels.", e.Message);
    }

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
