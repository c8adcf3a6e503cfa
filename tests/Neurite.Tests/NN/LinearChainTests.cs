using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Tests.Kernels;

namespace Neurite.Tests.NN;

/// <summary>
/// The fused inference path of <see cref="Sequential"/> (<see cref="LinearChain"/>) against the same layers called one
/// by one. The two must agree to the bit: the fused kernel performs the same float operations in the same order (bias
/// copied first and accumulated onto, k blocked as the packed GEMM blocks it, the unpacked loops where the GEMM would
/// take them, ReLU as max(x, 0)), so any difference is a defect, not rounding.
/// </summary>
[Collection(GlobalSettingsCollection.Name)]
public class LinearChainTests
{
    private static readonly GemmPath[] SupportedPaths =
        [.. new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported)];

    /// <summary>
    /// Paths × threads × batch sizes × layer widths: batch 1 and 3 take the unpacked loops and split columns, 127 and
    /// 129 split rows between threads (an uneven last tile); 600 and 700 inputs span two blocks of k on every path; 10,
    /// 9 and 5 outputs take the narrow kernel (700 → 9 with two blocks of k); 784-256-128-10 is the Fashion-MNIST MLP.
    /// </summary>
    public static TheoryData<GemmPath, int, int, string> Cases()
    {
        var data = new TheoryData<GemmPath, int, int, string>();
        string[] widths = ["784,256,128,10", "37,53,11", "600,19,5", "700,9", "3,1,7", "20,33"];
        foreach (var path in SupportedPaths)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                foreach (int batch in new[] { 1, 3, 127, 129 })
                {
                    foreach (string sizes in widths)
                    {
                        data.Add(path, threads, batch, sizes);
                    }
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_inference_matches_layer_by_layer_to_the_bit(GemmPath path, int threads, int batch, string sizes)
    {
        int[] widths = [.. sizes.Split(',').Select(int.Parse)];
        foreach (bool bias in new[] { true, false })
        {
            var model = Mlp(widths, bias, seed: (ulong)batch);
            var x = Tensor.Normal([batch, widths[0]], 0f, 1f, new Generator(7));
            WithSettings(path, threads, () =>
            {
                using var _ = Graph.NoGrad();
                var expected = LayerByLayer(model, x);
                var fused = x;
                Assert.Equal(model.Layers.Count, LinearChain.TryRun(model.Layers, 0, ref fused));
                AssertSameBits(expected, fused);
                AssertSameBits(expected, model.Call(x));
            });
        }
    }

    /// <summary>The unpacked loops take four rows of B at a time; each result must be the one-row loop's to the bit.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Four_row_dot_products_equal_one_row_dot_products(GemmPath path)
    {
        foreach (int k in new[] { 1, 7, 8, 31, 32, 45, 784 })
        {
            const int N = 11;
            var rng = new Generator((ulong)k);
            float[] a = Tensor.Normal([2, k], 0f, 1f, rng).ToArray(), b = Tensor.Normal([N, k], 0f, 1f, rng).ToArray();
            float[] c = Tensor.Normal([2, N], 0f, 1f, rng).ToArray(), expected = (float[])c.Clone();
            WithSettings(path, 1, () =>
            {
                Gemm.Multiply(false, true, 2, N, k, 0.5f, a, k, b, k, 0.25f, c, N);
                for (int j = 0; j < N; j++)
                {
                    Gemm.Multiply(false, true, 2, 1, k, 0.5f, a, k, b.AsSpan(j * k, k), k, 0.25f, expected.AsSpan(j), N);
                }
            });
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), c.Select(BitConverter.SingleToInt32Bits));
        }
    }

    public static TheoryData<GemmPath> Paths() => [.. SupportedPaths];

    /// <summary>Activations between layers beyond the per-thread scratch buffer (2 M floats here) go to tensors of their own.</summary>
    [Fact]
    public void A_large_batch_gets_the_same_results()
    {
        var model = Mlp([40, 300, 20, 3], bias: true, seed: 16);
        var x = Tensor.Normal([6500, 40], 0f, 1f, new Generator(17));
        using var _ = Graph.NoGrad();
        AssertSameBits(LayerByLayer(model, x), model.Call(x));
        var small = Tensor.Normal([5, 40], 0f, 1f, new Generator(18));
        AssertSameBits(LayerByLayer(model, small), model.Call(small));
    }

    [Fact]
    public void Keeps_the_leading_axes_of_the_input()
    {
        var model = Mlp([6, 9, 4], bias: true, seed: 3);
        var x = Tensor.Normal([2, 5, 6], 0f, 1f, new Generator(1));
        using var _ = Graph.NoGrad();
        var y = model.Call(x);
        Assert.Equal([2, 5, 4], y.Shape.ToArray());
        AssertSameBits(LayerByLayer(model, x), y);
        var single = Tensor.Normal([6], 0f, 1f, new Generator(2));
        Assert.Equal([4], model.Call(single).Shape.ToArray());
        AssertSameBits(LayerByLayer(model, single), model.Call(single));
    }

    [Fact]
    public void Other_activations_end_a_chain_and_run_as_modules()
    {
        var rng = new Generator(5);
        var model = new Sequential(
            new Linear(12, 8, rng: rng), new Sigmoid(), new Linear(8, 8, rng: rng), new ReLU(), new Linear(8, 3, rng: rng), new Tanh());
        var x = Tensor.Normal([40, 12], 0f, 1f, new Generator(6));
        using var _ = Graph.NoGrad();
        var probe = x;
        Assert.Equal(1, LinearChain.TryRun(model.Layers, 0, ref probe));
        Assert.Equal(0, LinearChain.TryRun(model.Layers, 1, ref probe));
        Assert.Equal(3, LinearChain.TryRun(model.Layers, 2, ref probe));
        AssertSameBits(LayerByLayer(model, x), model.Call(x));
    }

    [Fact]
    public void A_hooked_layer_runs_as_a_module_and_its_hook_sees_its_output()
    {
        var model = Mlp([10, 16, 16, 4], bias: true, seed: 8);
        var x = Tensor.Normal([30, 10], 0f, 1f, new Generator(9));
        Tensor? seen = null;
        using var hook = model[3].RegisterForwardHook((_, _, output) => seen = output);
        using var _ = Graph.NoGrad();
        var probe = x;
        Assert.Equal(3, LinearChain.TryRun(model.Layers, 0, ref probe));
        var expected = LayerByLayer(model, x);
        seen = null;
        AssertSameBits(expected, model.Call(x));
        Assert.NotNull(seen);
        AssertSameBits(Ops.Relu(model[2].Call(model[1].Call(model[0].Call(x)))), seen);
    }

    [Fact]
    public void Training_with_gradients_takes_the_recorded_path_and_gets_the_same_gradients()
    {
        var model = Mlp([9, 14, 5], bias: true, seed: 10);
        var x = Tensor.Normal([17, 9], 0f, 1f, new Generator(11), requiresGrad: true);
        var weights = Tensor.Normal([17, 5], 0f, 1f, new Generator(12));
        var probe = x;
        Assert.Equal(0, LinearChain.TryRun(model.Layers, 0, ref probe));

        var y = model.Call(x);
        Assert.True(y.RequiresGrad);
        Ops.Sum(Ops.Mul(y, weights)).Backward();
        var fromModel = model.Parameters().Select(p => p.Grad!.ToArray()).Append(x.Grad!.ToArray()).ToArray();
        model.ZeroGrad();
        x.Grad = null;
        Ops.Sum(Ops.Mul(LayerByLayer(model, x), weights)).Backward();
        var fromLayers = model.Parameters().Select(p => p.Grad!.ToArray()).Append(x.Grad!.ToArray()).ToArray();
        Assert.Equal(fromLayers, fromModel);

        using (Graph.NoGrad())
        {
            AssertSameBits(y, model.Call(x));
        }
    }

    [Fact]
    public void Frozen_parameters_and_a_plain_input_fuse_with_gradients_enabled()
    {
        var model = Mlp([9, 14, 5], bias: true, seed: 13);
        var x = Tensor.Normal([33, 9], 0f, 1f, new Generator(14));
        var probe = x;
        Assert.Equal(0, LinearChain.TryRun(model.Layers, 0, ref probe));
        foreach (var parameter in model.Parameters())
        {
            parameter.RequiresGrad = false;
        }
        Assert.Equal(3, LinearChain.TryRun(model.Layers, 0, ref probe));
        var y = model.Call(x);
        Assert.False(y.RequiresGrad);
        AssertSameBits(LayerByLayer(model, x), y);
    }

    [Fact]
    public void A_wrong_input_width_is_reported_by_the_linear_layer()
    {
        var model = Mlp([8, 4], bias: true, seed: 15);
        using var _ = Graph.NoGrad();
        var e = Assert.Throws<ArgumentException>(() => model.Call(Tensor.Zeros([2, 7])));
        Assert.Contains("Linear(8 => 4)", e.Message);
    }

    private static Sequential Mlp(int[] widths, bool bias, ulong seed)
    {
        var rng = new Generator(seed);
        var layers = new List<Module>();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            layers.Add(new Linear(widths[i], widths[i + 1], bias, rng));
            if (i + 2 < widths.Length)
            {
                layers.Add(new ReLU());
            }
        }
        return new Sequential([.. layers]);
    }

    /// <summary>The unfused path: each layer's own call, in order.</summary>
    private static Tensor LayerByLayer(Sequential model, Tensor x)
    {
        foreach (var layer in model.Layers)
        {
            x = layer.Call(x);
        }
        return x;
    }

    private static void AssertSameBits(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        Assert.Equal(expected.ToArray().Select(BitConverter.SingleToInt32Bits), actual.ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    private static void WithSettings(GemmPath path, int threads, Action body)
    {
        var (previousPath, previousThreads) = (Gemm.ForcedPath, Parallelism.MaxThreads);
        try
        {
            Gemm.ForcedPath = path;
            Parallelism.MaxThreads = threads;
            body();
        }
        finally
        {
            Gemm.ForcedPath = previousPath;
            Parallelism.MaxThreads = previousThreads;
        }
    }
}
