using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Kernels;

/// <summary>The attention kernel on every GEMM path, on one thread against two, and its argument checks.</summary>
[Collection(GlobalSettingsCollection.Name)]
public class AttentionKernelTests
{
    public static TheoryData<GemmPath, string> PathsAndCases()
    {
        var data = new TheoryData<GemmPath, string>();
        foreach (var path in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported))
        {
            foreach (string name in new[] { "mha_wide", "mha_causal_padding", "mha_cross_padding" })
            {
                data.Add(path, name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndCases))]
    public void Every_path_matches_torch(GemmPath path, string name)
    {
        var previous = Gemm.ForcedPath;
        try
        {
            Gemm.ForcedPath = path;
            AttentionReferenceTests.CheckAttentionCase(name);
        }
        finally
        {
            Gemm.ForcedPath = previous;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Samples_and_heads_split_between_threads_equal_one_thread(bool dropout)
    {
        // 8 samples × 4 heads of 32 × 32 scores over 16 features each: above the threshold at which the pairs are split.
        var results = new List<float[]>();
        int previous = Parallelism.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxThreads = threads;
                var qkv = Tensor.Uniform([8, 32, 192], -1f, 1f, new Generator(1), requiresGrad: true);
                var mask = Tensor.Zeros([8, 32]);
                mask.Data[200..256].Fill(1f);
                var y = Ops.SelfAttention(qkv, 4, causal: true, mask, dropout ? 0.2f : 0f, new Generator(2));
                Ops.Sum(Ops.Mul(y, Tensor.Uniform(y.Shape, -1f, 1f, new Generator(3)))).Backward();
                results.Add([.. y.Data, .. qkv.Grad!.Data]);
            }
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void Short_spans_and_strides_are_refused()
    {
        var sizes = new AttentionSizes(2, 2, 3, 3, 2);
        float[] operand = new float[2 * 3 * 4], weights = new float[sizes.WeightsLength], y = new float[2 * 3 * 4];
        var e = Assert.Throws<ArgumentException>(() => Attention.Forward(sizes, false, operand, 3, operand, 4, operand, 4, default, default, weights, y));
        Assert.Equal("Attention.Forward: the stride of q, 3, is shorter than a step of 4 features.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Attention.Forward(sizes, false, operand, 4, operand, 4, operand, 4, default, default, weights.AsSpan(1), y));
        Assert.Equal("Attention.Forward: weights has 35 elements, the sizes need 36.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Attention.Forward(sizes, false, operand, 4, operand.AsSpan(1), 4, operand, 4, default, default, weights, y));
        Assert.Equal("Attention.Forward: k has 23 elements, the sizes need 24.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Attention.Backward(sizes, operand, 4, operand, 4, operand, 4, default, weights, y, operand.AsSpan(2), default, default));
        Assert.Equal("Attention.Backward: dq has 22 elements, the sizes need 24.", e.Message);
    }
}
