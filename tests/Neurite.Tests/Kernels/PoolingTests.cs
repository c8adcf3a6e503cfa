using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Tests.Kernels;

/// <summary>Pools against <see cref="NaiveConvolution"/>: output and ∂x on awkward sizes, and the same bits on any thread count.</summary>
[Collection(GlobalSettingsCollection.Name)]
public class PoolingTests
{
    public static TheoryData<bool, int, int, int, int, int, int> Windows() => new()
    {
        // max?, kernelH, kernelW, strideH, strideW, padH, padW
        { true, 2, 2, 2, 2, 0, 0 },
        { true, 3, 3, 2, 2, 1, 1 },
        { true, 3, 2, 1, 2, 1, 1 },
        { true, 1, 1, 2, 3, 0, 0 },
        { true, 5, 3, 3, 1, 2, 0 },
        { true, 3, 2, 1, 2, 0, 0 },
        { false, 2, 2, 2, 2, 0, 0 },
        { false, 3, 3, 2, 2, 1, 1 },
        { false, 3, 2, 1, 2, 1, 1 },
        { false, 5, 3, 3, 1, 2, 0 },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Pool_matches_direct_loops(bool max, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        // Max pooling without padding gathers its windows on AVX2 and AVX-512, or reads 2×2 windows at stride 2 from
        // contiguous rows: every path this CPU supports.
        foreach (var path in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported))
        {
            ConvolutionTests.WithPath(path, () => PoolCase(max, new Pool2dGeometry(kh, kw, sh, sw, ph, pw)));
        }
    }

    private static void PoolCase(bool max, Pool2dGeometry g)
    {
        // 28×28 and 9×7: several gathers of 8 outputs and a tail; 2×2 windows at stride 2 on rows of 14, 6 and 4
        // outputs: blocks of 4, the last overlapping.
        foreach (int[] shape in new[] { new[] { 3, 2, 9, 7 }, [1, 1, 5, 5], [2, 3, 6, 8], [1, 2, 28, 28], [2, 1, 7, 13] })
        {
            var x = GradCheckInput(shape, seed: g.KernelH * 10 + g.KernelW);
            var y = max ? Ops.MaxPool2d(x, g) : Ops.AvgPool2d(x, g);
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, new Generator(3));
            y.Backward(dy);
            var (expected, dx) = NaiveConvolution.Pool2d(max, x.ToArray(), shape, g, dy.ToArray());
            var (oh, ow) = g.OutputSize(shape[2], shape[3]);
            Assert.Equal([shape[0], shape[1], oh, ow], y.Shape.ToArray());
            ConvolutionTests.AssertClose(expected, y, $"{g} on {Shapes.Format(shape)}: output");
            ConvolutionTests.AssertClose(dx, x.Grad!, $"{g} on {Shapes.Format(shape)}: dx");
        }
    }

    [Theory]
    [InlineData(7, 7, 3, 3)]
    [InlineData(5, 6, 2, 4)]
    [InlineData(4, 4, 1, 1)]
    [InlineData(3, 3, 5, 5)]
    [InlineData(10, 7, 4, 3)]
    [InlineData(6, 6, 6, 6)]
    public void Adaptive_average_pool_matches_direct_loops(int h, int w, int oh, int ow)
    {
        int[] shape = [2, 3, h, w];
        var x = GradCheckInput(shape, seed: h * w);
        var y = Ops.AdaptiveAvgPool2d(x, oh, ow);
        var dy = Tensor.Uniform(y.Shape, -1f, 1f, new Generator(3));
        y.Backward(dy);
        var (expected, dx) = NaiveConvolution.AdaptiveAvgPool2d(x.ToArray(), shape, oh, ow, dy.ToArray());
        Assert.Equal([2, 3, oh, ow], y.Shape.ToArray());
        ConvolutionTests.AssertClose(expected, y, "adaptive output");
        ConvolutionTests.AssertClose(dx, x.Grad!, "adaptive dx");
    }

    [Fact]
    public void Max_pool_propagates_nan_and_takes_the_first_of_equal_maxima()
    {
        // Window 0 holds 1, 3 (row 0) and NaN, 2 (row 1); window 1 holds 3, 0 and 5, 5.
        var x = Tensor.From([1f, 3f, 3f, 0f, float.NaN, 2f, 5f, 5f], [1, 1, 2, 4], requiresGrad: true);
        var y = Ops.MaxPool2d(x, 2);
        Assert.True(float.IsNaN(y.Data[0]));
        Assert.Equal(5f, y.Data[1]);
        y.Backward(Tensor.From([10f, 20f], [1, 1, 1, 2]));
        // The NaN (position 4) takes window 0's gradient, the first 5 (position 6) window 1's.
        Assert.Equal([0f, 0f, 0f, 0f, 10f, 0f, 20f, 0f], x.Grad!.ToArray());
    }

    /// <summary>Ties and NaNs in a plane of 60 windows: the gathered paths choose the same maxima and positions as the scalar loop.</summary>
    [Fact]
    public void Max_pool_paths_agree_on_nan_and_ties()
    {
        var rng = new Generator(11);
        var values = Tensor.Uniform([1, 3, 10, 24], 0f, 4f, rng).ToArray().Select(v => v < 0.3f ? float.NaN : MathF.Floor(v)).ToArray();
        var results = new[] { GemmPath.Scalar, GemmPath.Avx2, GemmPath.Avx512 }.Where(Gemm.IsSupported).Select(path =>
        {
            float[] y = [], dx = [];
            ConvolutionTests.WithPath(path, () =>
            {
                var x = Tensor.From(values, [1, 3, 10, 24], requiresGrad: true);
                var pooled = Ops.MaxPool2d(x, 2);
                pooled.Backward(Tensor.Uniform(pooled.Shape, -1f, 1f, new Generator(5)));
                (y, dx) = (pooled.ToArray(), x.Grad!.ToArray());
            });
            return (y, dx);
        }).ToList();
        Assert.Contains(results[0].y, float.IsNaN);
        foreach (var (y, dx) in results.Skip(1))
        {
            Assert.Equal(results[0].y, y);
            Assert.Equal(results[0].dx, dx);
        }
    }

    /// <summary>Inputs big enough to split their planes between threads: the same bits at 1, 2 and 3 threads.</summary>
    [Fact]
    public void Pools_give_the_same_bits_on_any_thread_count()
    {
        int[] shape = [8, 16, 28, 28];
        var results = new[] { 1, 2, 3 }.Select(threads => ConvolutionTests.WithThreads(threads, () =>
        {
            var outputs = new List<float[]>();
            foreach (var pool in new Func<Tensor, Tensor>[]
                     {
                         x => Ops.MaxPool2d(x, 3, 2, 1), x => Ops.AvgPool2d(x, 2), x => Ops.AdaptiveAvgPool2d(x, 5, 3),
                     })
            {
                var x = GradCheckInput(shape, seed: 9);
                var y = pool(x);
                y.Backward(Tensor.Uniform(y.Shape, -1f, 1f, new Generator(4)));
                outputs.Add(y.ToArray());
                outputs.Add(x.Grad!.ToArray());
            }
            return outputs;
        })).ToList();
        for (int k = 0; k < results[0].Count; k++)
        {
            Assert.Equal(results[0][k], results[1][k]);
            Assert.Equal(results[0][k], results[2][k]);
        }
    }

    [Fact]
    public void Unbatched_input_gives_the_batched_result_without_its_batch_axis()
    {
        var x = Tensor.Uniform([1, 2, 5, 6], -1f, 1f, new Generator(1));
        var single = Tensor.From(x.Data, [2, 5, 6]);
        Assert.Equal(Ops.MaxPool2d(x, 2).ToArray(), Ops.MaxPool2d(single, 2).ToArray());
        Assert.Equal([2, 2, 3], Ops.MaxPool2d(single, 2).Shape.ToArray());
        Assert.Equal(Ops.AvgPool2d(x, 3, 1, 1).ToArray(), Ops.AvgPool2d(single, 3, 1, 1).ToArray());
        Assert.Equal(Ops.AdaptiveAvgPool2d(x, 2).ToArray(), Ops.AdaptiveAvgPool2d(single, 2).ToArray());
    }

    private static Tensor GradCheckInput(int[] shape, int seed) =>
        Tensor.Uniform(shape, -1f, 1f, new Generator((ulong)seed), requiresGrad: true);
}
