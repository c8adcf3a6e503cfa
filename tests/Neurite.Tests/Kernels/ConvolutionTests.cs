using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Tests.Kernels;

/// <summary>
/// Convolutions against <see cref="NaiveConvolution"/> on awkward sizes, on every GEMM path this CPU supports: output,
/// ∂x, ∂W and ∂b of Σ y ⊙ dy for a random dy; and the same bits on any number of threads.
/// </summary>
[Collection(GlobalSettingsCollection.Name)]
public class ConvolutionTests
{
    private static readonly GemmPath[] SupportedPaths =
        [.. new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported)];

    private sealed record ConvCase(int[] X, int[] W, Conv2dGeometry Geometry, bool Bias = true);

    private static readonly Dictionary<string, ConvCase> Conv2dCases = new()
    {
        ["pointwise_1x1"] = new([3, 5, 4, 7], [6, 5, 1, 1], Conv2dGeometry.Symmetric()),
        ["1x1_stride2_pad1"] = new([2, 3, 5, 6], [4, 3, 1, 1], Conv2dGeometry.Symmetric(2, 1)),
        ["3x3_pad1"] = new([3, 3, 7, 9], [4, 3, 3, 3], Conv2dGeometry.Symmetric(1, 1)),
        ["5x5_no_bias"] = new([1, 2, 11, 9], [3, 2, 5, 5], Conv2dGeometry.Symmetric(), Bias: false),
        ["3x1_pad_1_0"] = new([2, 3, 6, 5], [4, 3, 3, 1], Conv2dGeometry.Symmetric((1, 1), (1, 0), (1, 1))),
        ["3x3_stride2_pad1_odd"] = new([3, 2, 9, 7], [5, 2, 3, 3], Conv2dGeometry.Symmetric(2, 1)),
        ["3x3_dilation2_pad2"] = new([2, 2, 9, 10], [3, 2, 3, 3], Conv2dGeometry.Symmetric(1, 2, 2)),
        ["2x3_stride_2_1_dilation_1_2"] = new([1, 3, 8, 11], [2, 3, 2, 3], Conv2dGeometry.Symmetric((2, 1), (0, 1), (1, 2))),
        ["groups2"] = new([2, 4, 6, 7], [6, 2, 3, 3], Conv2dGeometry.Symmetric(1, 1, 1, 2)),
        ["depthwise"] = new([3, 4, 7, 5], [4, 1, 3, 3], Conv2dGeometry.Symmetric(1, 1, 1, 4)),
        ["depthwise_multiplier2_stride2"] = new([2, 3, 8, 8], [6, 1, 3, 3], Conv2dGeometry.Symmetric(2, 1, 1, 3)),
        ["same_odd_5x5"] = new([2, 3, 7, 6], [4, 3, 5, 5], Conv2dGeometry.Same(5, 5)),
        ["same_even_4x4"] = new([3, 2, 7, 6], [3, 2, 4, 4], Conv2dGeometry.Same(4, 4)),
        ["same_even_2x3_dilation_3_1"] = new([1, 2, 6, 7], [3, 2, 2, 3], Conv2dGeometry.Same(2, 3, 3, 1)),
        ["asymmetric_padding"] = new([2, 2, 5, 6], [3, 2, 3, 2], new Conv2dGeometry(1, 2, 0, 2, 1, 0, 1, 1, 1)),
        ["kernel_fills_input"] = new([2, 2, 5, 5], [3, 2, 5, 5], Conv2dGeometry.Symmetric()),
        // Large enough for the packed GEMM; batch 3 splits samples between threads.
        ["packed_16_to_32_3x3"] = new([3, 16, 12, 12], [32, 16, 3, 3], Conv2dGeometry.Symmetric(1, 1)),
        // Batch 1: GEMM splits each product between threads instead.
        ["packed_batch1_32_to_48"] = new([1, 32, 14, 14], [48, 32, 3, 3], Conv2dGeometry.Symmetric(1, 1)),
        ["pointwise_packed_batch1"] = new([1, 64, 10, 10], [40, 64, 1, 1], Conv2dGeometry.Symmetric()),
        // LeNet's second convolution: three blocks of 6 output channels (the last two rows padding), 92 wide positions.
        ["lenet_16_from_6_5x5"] = new([3, 6, 12, 12], [16, 6, 5, 5], Conv2dGeometry.Symmetric()),
        // Batch 41: the weight gradient's chunks of 6 samples, run by the direct kernel 4 samples and then 2 at a time.
        ["batch41_chunks_of_6"] = new([41, 2, 9, 8], [5, 2, 3, 3], Conv2dGeometry.Symmetric(1, 1)),
        // Batch 1 above the direct kernel's threshold: its tiles of positions split between threads, with a tail.
        ["batch1_13_from_8_same_3x3_odd"] = new([1, 8, 29, 31], [13, 8, 3, 3], Conv2dGeometry.Same(3, 3)),
    };

    private sealed record TransposeCase(int[] X, int[] W, ConvTranspose2dGeometry Geometry, bool Bias = true);

    private static readonly Dictionary<string, TransposeCase> TransposeCases = new()
    {
        ["k3_stride2_pad1_outpad1"] = new([2, 3, 4, 5], [3, 2, 3, 3], ConvTranspose2dGeometry.Symmetric(2, 1, 1)),
        ["k2_stride2"] = new([2, 4, 3, 3], [4, 3, 2, 2], ConvTranspose2dGeometry.Symmetric(2)),
        ["k3x2_stride_2_1_pad_1_0_outpad_1_0"] = new([1, 2, 4, 3], [2, 3, 3, 2],
            ConvTranspose2dGeometry.Symmetric((2, 1), (1, 0), (1, 0), (1, 1))),
        ["groups2_dilation2"] = new([1, 4, 3, 3], [4, 3, 3, 3], ConvTranspose2dGeometry.Symmetric(1, 0, 0, 2, 2)),
        ["outpad_below_dilation"] = new([2, 2, 3, 3], [2, 2, 3, 3], ConvTranspose2dGeometry.Symmetric(1, 0, 1, 2)),
        ["pointwise_no_bias"] = new([2, 5, 3, 4], [5, 6, 1, 1], ConvTranspose2dGeometry.Symmetric(), Bias: false),
        ["packed_32_to_16_k4_stride2"] = new([3, 32, 7, 7], [32, 16, 4, 4], ConvTranspose2dGeometry.Symmetric(2, 1)),
        ["k5_pad1_8_to_7"] = new([2, 8, 9, 11], [8, 7, 5, 5], ConvTranspose2dGeometry.Symmetric(1, 1)),
        ["k3_pad3_beyond_the_kernel"] = new([2, 3, 9, 8], [3, 2, 3, 3], ConvTranspose2dGeometry.Symmetric(1, 3)),
    };

    public static TheoryData<GemmPath, string> Conv2dRows() => Rows(Conv2dCases.Keys);

    public static TheoryData<GemmPath, string> TransposeRows() => Rows(TransposeCases.Keys);

    private static TheoryData<GemmPath, string> Rows(IEnumerable<string> names)
    {
        var data = new TheoryData<GemmPath, string>();
        foreach (var path in SupportedPaths)
        {
            foreach (var name in names)
            {
                data.Add(path, name);
            }
        }
        return data;
    }

    /// <summary>Each case on im2col + GEMM, and on the direct kernel where it applies (stride 1; im2col elsewhere).</summary>
    [Theory]
    [MemberData(nameof(Conv2dRows))]
    public void Conv2d_matches_direct_loops(GemmPath path, string name)
    {
        WithAlgorithm(ConvAlgorithm.Im2Col, () => Conv2dCase(path, name));
        WithAlgorithm(ConvAlgorithm.Direct, () => Conv2dCase(path, name));
    }

    private static void Conv2dCase(GemmPath path, string name)
    {
        var c = Conv2dCases[name];
        WithPath(path, () =>
        {
            var (x, w, b) = Inputs(c.X, c.W, c.Bias ? c.W[0] : 0, seed: name.Length);
            var y = Ops.Conv2d(x, w, b, c.Geometry);
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, new Generator(7));
            y.Backward(dy);
            var r = NaiveConvolution.Conv2d(x.ToArray(), c.X, w.ToArray(), c.W, b?.ToArray(), c.Geometry, dy.ToArray());
            var (oh, ow) = c.Geometry.OutputSize(c.X[2], c.X[3], c.W[2], c.W[3]);
            Assert.Equal([c.X[0], c.W[0], oh, ow], y.Shape.ToArray());
            Compare(r, y, x, w, b, name);
        });
    }

    [Theory]
    [MemberData(nameof(TransposeRows))]
    public void ConvTranspose2d_matches_direct_loops(GemmPath path, string name)
    {
        WithAlgorithm(ConvAlgorithm.Im2Col, () => ConvTranspose2dCase(path, name));
        WithAlgorithm(ConvAlgorithm.Direct, () => ConvTranspose2dCase(path, name));
    }

    private static void ConvTranspose2dCase(GemmPath path, string name)
    {
        var c = TransposeCases[name];
        WithPath(path, () =>
        {
            int outChannels = c.W[1] * c.Geometry.Groups;
            var (x, w, b) = Inputs(c.X, c.W, c.Bias ? outChannels : 0, seed: name.Length);
            var y = Ops.ConvTranspose2d(x, w, b, c.Geometry);
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, new Generator(7));
            y.Backward(dy);
            var r = NaiveConvolution.ConvTranspose2d(x.ToArray(), c.X, w.ToArray(), c.W, b?.ToArray(), c.Geometry, dy.ToArray());
            var (oh, ow) = c.Geometry.OutputSize(c.X[2], c.X[3], c.W[2], c.W[3]);
            Assert.Equal([c.X[0], outChannels, oh, ow], y.Shape.ToArray());
            Compare(r, y, x, w, b, name);
        });
    }

    public static TheoryData<GemmPath, int, int, int, int> Conv1dRows()
    {
        // stride, kernel, dilation, groups; padding is "same" for stride 1, else 2 on both sides.
        (int, int, int, int)[] settings = [(1, 3, 1, 1), (1, 4, 1, 1), (1, 2, 3, 2), (2, 5, 2, 2), (3, 1, 1, 1)];
        var data = new TheoryData<GemmPath, int, int, int, int>();
        foreach (var path in SupportedPaths)
        {
            foreach (var (stride, kernel, dilation, groups) in settings)
            {
                data.Add(path, stride, kernel, dilation, groups);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Conv1dRows))]
    public void Conv1d_matches_direct_loops(GemmPath path, int stride, int kernel, int dilation, int groups)
    {
        WithPath(path, () =>
        {
            int[] xShape = [3, 4, 17], wShape = [6, 4 / groups, kernel];
            var padding = stride == 1 ? Conv2dGeometry.SamePadding(kernel, dilation) : (2, 2);
            var (x, w, b) = Inputs(xShape, wShape, 6, seed: kernel);
            var y = Ops.Conv1d(x, w, b, stride, padding, dilation, groups);
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, new Generator(7));
            y.Backward(dy);
            var geometry = new Conv2dGeometry(1, stride, 0, padding.Item1, 0, padding.Item2, 1, dilation, groups);
            var r = NaiveConvolution.Conv2d(x.ToArray(), [3, 4, 1, 17], w.ToArray(), [6, 4 / groups, 1, kernel], b!.ToArray(), geometry, dy.ToArray());
            Assert.Equal(3, y.Rank);
            Compare(r, y, x, w, b, $"conv1d stride {stride} kernel {kernel} dilation {dilation} groups {groups}");
            if (stride == 1)
            {
                Assert.Equal(xShape[2], y.Shape[2]);
            }
        });
    }

    [Fact]
    public void Same_padding_puts_the_larger_half_after()
    {
        Assert.Equal((1, 1), Conv2dGeometry.SamePadding(3));
        Assert.Equal((1, 2), Conv2dGeometry.SamePadding(4));
        Assert.Equal((1, 2), Conv2dGeometry.SamePadding(2, dilation: 3));
        Assert.Equal((0, 0), Conv2dGeometry.SamePadding(1));
        Assert.Equal(new Conv2dGeometry(1, 1, 1, 2, 2, 2, 1, 2, 1), Conv2dGeometry.Same(4, 3, dilationW: 2));
        Assert.Equal((7, 6), Conv2dGeometry.Same(4, 3, dilationW: 2).OutputSize(7, 6, 4, 3));
    }

    [Fact]
    public void Output_sizes_follow_pytorch()
    {
        // ⌊(9 + 2 − 3) / 2⌋ + 1 = 5; ⌊(7 + 2 − 2·2 − 1) / 2⌋ + 1 = 3.
        Assert.Equal((5, 3), new Conv2dGeometry(2, 2, 1, 1, 1, 1, 1, 2, 1).OutputSize(9, 7, 3, 3));
        // (4 − 1)·2 − 2 + 3 + 1 = 8; (5 − 1)·1 − 0 + 2·(2 − 1) + 0 + 1 = 7.
        Assert.Equal((8, 7), new ConvTranspose2dGeometry(2, 1, 1, 0, 1, 0, 1, 2, 1).OutputSize(4, 5, 3, 2));
        // ⌊(7 + 2 − 3) / 2⌋ + 1 = 4 and ⌊(6 − 2) / 2⌋ + 1 = 3.
        Assert.Equal((4, 3), Pool2dGeometry.Of((3, 2), (2, 2), (1, 0)).OutputSize(7, 6));
        Assert.Equal(new Pool2dGeometry(2, 2, 2, 2, 0, 0), Pool2dGeometry.Square(2));
    }

    /// <summary>Forward, ∂x, ∂W and ∂b at 1, 2 and 3 threads: the same bits (the weight gradient sums fixed chunks in order).</summary>
    [Theory]
    [InlineData("packed_16_to_32_3x3")]
    [InlineData("3x3_stride2_pad1_odd")]
    [InlineData("groups2")]
    [InlineData("pointwise_1x1")]
    [InlineData("lenet_16_from_6_5x5")]
    public void Conv2d_gives_the_same_bits_on_any_thread_count(string name)
    {
        var c = Conv2dCases[name] with { X = [13, .. Conv2dCases[name].X[1..]] };
        var results = new[] { 1, 2, 3 }.Select(threads => WithThreads(threads, () =>
        {
            var (x, w, b) = Inputs(c.X, c.W, c.W[0], seed: 3);
            var y = Ops.Conv2d(x, w, b, c.Geometry);
            y.Backward(Tensor.Uniform(y.Shape, -1f, 1f, new Generator(7)));
            return new[] { y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b!.Grad!.ToArray() };
        })).ToList();
        for (int t = 1; t < results.Count; t++)
        {
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(results[0][k], results[t][k]);
            }
        }
    }

    [Fact]
    public void ConvTranspose2d_gives_the_same_bits_on_any_thread_count()
    {
        var c = TransposeCases["packed_32_to_16_k4_stride2"] with { X = [11, 32, 7, 7] };
        var results = new[] { 1, 2, 3 }.Select(threads => WithThreads(threads, () =>
        {
            var (x, w, b) = Inputs(c.X, c.W, c.W[1], seed: 3);
            var y = Ops.ConvTranspose2d(x, w, b, c.Geometry);
            y.Backward(Tensor.Uniform(y.Shape, -1f, 1f, new Generator(7)));
            return new[] { y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b!.Grad!.ToArray() };
        })).ToList();
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(results[0][k], results[1][k]);
            Assert.Equal(results[0][k], results[2][k]);
        }
    }

    [Fact]
    public void Unbatched_input_gives_the_batched_result_without_its_batch_axis()
    {
        var (x, w, b) = Inputs([1, 3, 6, 5], [4, 3, 3, 3], 4, seed: 5);
        var single = Tensor.From(x.Data, [3, 6, 5]);
        Assert.Equal(Ops.Conv2d(x, w, b, 1, 1).ToArray(), Ops.Conv2d(single, w, b, 1, 1).ToArray());
        Assert.Equal([4, 6, 5], Ops.Conv2d(single, w, b, 1, 1).Shape.ToArray());
        var wt = Tensor.Uniform([3, 2, 3, 3], -1f, 1f, new Generator(2));
        Assert.Equal(Ops.ConvTranspose2d(x, wt, null, 2).ToArray(), Ops.ConvTranspose2d(single, wt, null, 2).ToArray());
        var x1 = Tensor.Uniform([1, 3, 9], -1f, 1f, new Generator(4));
        var w1 = Tensor.Uniform([2, 3, 3], -1f, 1f, new Generator(5));
        Assert.Equal(Ops.Conv1d(x1, w1, null).ToArray(), Ops.Conv1d(Tensor.From(x1.Data, [3, 9]), w1, null).ToArray());
    }

    /// <summary>|got − expected| ≤ 1e-4·(1 + |expected|): float32 sums of at most a few hundred terms of size ≤ 1.</summary>
    private static void Compare(NaiveConvolution.Result r, Tensor y, Tensor x, Tensor w, Tensor? b, string what)
    {
        AssertClose(r.Y, y, $"{what}: output");
        AssertClose(r.Dx, x.Grad!, $"{what}: dx");
        AssertClose(r.Dw, w.Grad!, $"{what}: dW");
        if (b is not null)
        {
            AssertClose(r.Db, b.Grad!, $"{what}: db");
        }
    }

    internal static void AssertClose(double[] expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        var a = actual.Data;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{what}: element {i} is {a[i]}, the direct loops give {expected[i]}.");
        }
    }

    private static (Tensor X, Tensor W, Tensor? B) Inputs(int[] xShape, int[] wShape, int biasLength, int seed)
    {
        var rng = new Generator((ulong)seed);
        var x = Tensor.Uniform(xShape, -1f, 1f, rng, requiresGrad: true);
        var w = Tensor.Uniform(wShape, -1f, 1f, rng, requiresGrad: true);
        var b = biasLength == 0 ? null : Tensor.Uniform([biasLength], -1f, 1f, rng, requiresGrad: true);
        return (x, w, b);
    }

    internal static void WithPath(GemmPath path, Action body)
    {
        var previous = Gemm.ForcedPath;
        try
        {
            Gemm.ForcedPath = path;
            body();
        }
        finally
        {
            Gemm.ForcedPath = previous;
        }
    }

    internal static void WithAlgorithm(ConvAlgorithm algorithm, Action body)
    {
        var previous = Convolution.ForcedAlgorithm;
        try
        {
            Convolution.ForcedAlgorithm = algorithm;
            body();
        }
        finally
        {
            Convolution.ForcedAlgorithm = previous;
        }
    }

    internal static T WithThreads<T>(int threads, Func<T> body)
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = threads;
            return body();
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }
}
