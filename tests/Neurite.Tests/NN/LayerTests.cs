using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Tests.Reference;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Dropout, batch and layer normalization, residual blocks and initializers (tests/reference/layers.json).</summary>
public class LayerTests
{
    private const string File = "layers.json";

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static Tensor Read(JsonElement c, string property, int[] shape) => Tensor.From(Floats(c.GetProperty(property)), shape);

    public static TheoryData<int> BatchNormCases => new(Enumerable.Range(0, Fixture.Load(File).GetProperty("batch_norm").GetArrayLength()));

    [Theory]
    [MemberData(nameof(BatchNormCases))]
    public void BatchNorm1d_matches_pytorch_in_training_and_evaluation(int index)
    {
        var c = Fixture.Load(File).GetProperty("batch_norm")[index];
        var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int channels = shape[1];
        bool affine = c.GetProperty("affine").GetBoolean();
        var bn = new BatchNorm1d(channels, momentum: (float)c.GetProperty("momentum").GetDouble(), affine: affine);
        if (affine)
        {
            Floats(c.GetProperty("weight")).CopyTo(bn.Weight!.Data);
            Floats(c.GetProperty("bias")).CopyTo(bn.Bias!.Data);
        }
        int step = 0;
        foreach (var s in c.GetProperty("steps").EnumerateArray())
        {
            var x = Tensor.From(Floats(s.GetProperty("x")), shape, requiresGrad: true);
            var y = bn.Call(x);
            Fixture.AssertClose(Read(s, "y", shape), y, $"step {step} output");
            y.Backward(Read(s, "upstream", shape));
            Fixture.AssertClose(Read(s, "x_grad", shape), x.Grad, $"step {step} input gradient", 1e-4, 1e-5);
            if (affine)
            {
                Fixture.AssertClose(Read(s, "weight_grad", [channels]), bn.Weight!.Grad, $"step {step} weight gradient", 1e-4, 1e-5);
                Fixture.AssertClose(Read(s, "bias_grad", [channels]), bn.Bias!.Grad, $"step {step} bias gradient");
                bn.ZeroGrad();
            }
            Fixture.AssertClose(Read(s, "running_mean", [channels]), bn.RunningMean, $"step {step} running mean");
            Fixture.AssertClose(Read(s, "running_var", [channels]), bn.RunningVar, $"step {step} running variance");
            step++;
        }
        Assert.Equal(2f, bn.NumBatchesTracked.Item());
        bn.Eval();
        Fixture.AssertClose(Read(c, "eval_y", shape), bn.Call(Read(c, "eval_x", shape)), "evaluation output");
    }

    public static TheoryData<int> LayerNormCases => new(Enumerable.Range(0, Fixture.Load(File).GetProperty("layer_norm").GetArrayLength()));

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm_matches_pytorch(int index)
    {
        var c = Fixture.Load(File).GetProperty("layer_norm")[index];
        var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var normalized = c.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var ln = new LayerNorm(normalized);
        Floats(c.GetProperty("weight")).CopyTo(ln.Weight!.Data);
        Floats(c.GetProperty("bias")).CopyTo(ln.Bias!.Data);
        var x = Tensor.From(Floats(c.GetProperty("x")), shape, requiresGrad: true);
        var y = ln.Call(x);
        Fixture.AssertClose(Read(c, "y", shape), y, "output");
        y.Backward(Read(c, "upstream", shape));
        Fixture.AssertClose(Read(c, "x_grad", shape), x.Grad, "input gradient", 1e-4, 1e-5);
        Fixture.AssertClose(Read(c, "weight_grad", normalized), ln.Weight!.Grad, "weight gradient", 1e-4, 1e-5);
        Fixture.AssertClose(Read(c, "bias_grad", normalized), ln.Bias!.Grad, "bias gradient");
    }

    [Fact]
    public void Normalization_layers_pass_finite_difference_checks()
    {
        var bn = new BatchNorm1d(3);
        Check(x => bn.Call(x[0]), [Input([5, 3], 1)], atol: 5e-3);
        var bn3 = new BatchNorm1d(2);
        Check(x => bn3.Call(x[0]), [Input([3, 2, 4], 2)], atol: 5e-3);
        var ln = new LayerNorm(4);
        Check(x => ln.Call(x[0]), [Input([3, 4], 3)], atol: 5e-3);
        Check(x => Ops.Mul(bn.Weight!, x[0]), [Input([3], 4)]);
    }

    [Fact]
    public void Linear_dropout_and_residual_layers_pass_finite_difference_checks()
    {
        // Through the module: the input's gradient, and the weight's and bias's via inputs 1 and 2.
        var linear = new Linear(4, 3, rng: new Generator(1));
        Check(x => linear.Call(x[0]), [Input([5, 4], 5)]);
        Check(x => Ops.Linear(x[0], x[1], x[2]), [Input([5, 4], 6), Input([3, 4], 7), Input([3], 8)]);
        // A fresh generator with the same seed per call keeps the dropout mask fixed while the
        // check perturbs the input.
        Check(x => new Dropout(0.4f, new Generator(9)).Call(x[0]), [Input([6, 5], 10)]);
        var residual = new Residual(new Sequential(new Linear(4, 4, rng: new Generator(11)), new Tanh()));
        Check(x => residual.Call(x[0]), [Input([3, 4], 12)]);
    }

    [Fact]
    public void Dropout_zeroes_about_p_scales_the_rest_and_is_off_in_eval()
    {
        var dropout = new Dropout(0.25f, new Generator(5));
        var x = Tensor.Ones([100_000], requiresGrad: true);
        var y = dropout.Call(x);
        var values = y.ToArray();
        double dropped = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(dropped, 0.25 - 0.005, 0.25 + 0.005); // 5σ = 5·√(0.25·0.75/1e5) ≈ 0.007
        Assert.All(values.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v));
        y.Sum().Backward();
        Assert.Equal(values, x.Grad!.ToArray()); // ∂y/∂x is the scaled mask itself
        dropout.Eval();
        Assert.Same(x, dropout.Call(x));
        Assert.Contains("p", Assert.Throws<ArgumentException>(() => new Dropout(1f, new Generator(0))).Message);
        Assert.Throws<ArgumentException>(() => new Dropout(-0.1f, new Generator(0)));
    }

    [Fact]
    public void Residual_adds_the_input_to_the_block_output()
    {
        var block = new Linear(3, 3, rng: new Generator(1));
        var residual = new Residual(block);
        var x = Tensor.Uniform([2, 3], -1, 1, new Generator(2));
        Assert.Equal((x + block.Call(x)).ToArray(), residual.Call(x).ToArray());
        Assert.Equal(["block.weight", "block.bias"], residual.StateDict().Keys);
        Assert.Contains("needs the same shape", Assert.Throws<ArgumentException>(() => new Residual(new Linear(3, 2)).Call(x)).Message);
    }

    [Fact]
    public void Gains_match_pytorch()
    {
        var gains = Fixture.Load(File).GetProperty("gains");
        foreach (var name in new[] { "linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu" })
        {
            Assert.Equal(gains.GetProperty(name).GetDouble(), Init.CalculateGain(name), 6);
        }
        Assert.Equal(gains.GetProperty("leaky_relu_0.2").GetDouble(), Init.CalculateGain("leaky_relu", 0.2f), 6);
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
    }

    [Fact]
    public void Initializers_have_the_bounds_and_spreads_their_formulas_give()
    {
        var w = Tensor.Zeros([200, 300]); // fan_in 300, fan_out 200
        var rng = new Generator(9);
        float xavierBound = MathF.Sqrt(6f / 500f);
        Init.XavierUniform(w, 1f, rng);
        Assert.InRange(w.Max().Item(), 0.99f * xavierBound, xavierBound);
        Assert.InRange(w.Min().Item(), -xavierBound, -0.99f * xavierBound);
        AssertStd(Init.XavierNormal(w, 2f, rng), 2 * Math.Sqrt(2.0 / 500));
        AssertStd(Init.KaimingNormal(w, 0f, FanMode.FanIn, "relu", rng), Math.Sqrt(2.0 / 300));
        AssertStd(Init.KaimingNormal(w, 0f, FanMode.FanOut, "relu", rng), Math.Sqrt(2.0 / 200));
        float heBound = MathF.Sqrt(2f) * MathF.Sqrt(3f / 300f);
        Init.KaimingUniform(w, 0f, FanMode.FanIn, "relu", rng);
        Assert.InRange(w.Max().Item(), 0.99f * heBound, heBound);
        AssertStd(Init.LecunNormal(w, rng), Math.Sqrt(1.0 / 300));
        Assert.All(Init.Constant(w, 0.5f).ToArray(), v => Assert.Equal(0.5f, v));
        Assert.Equal((300, 200), Init.Fans(w));
        Assert.Equal((3 * 25, 8 * 25), Init.Fans(Tensor.Zeros([8, 3, 5, 5])));
        Assert.Throws<ArgumentException>(() => Init.XavierUniform(Tensor.Zeros([5])));
    }

    private static void AssertStd(Tensor t, double expected)
    {
        double std = Math.Sqrt(t.Variance().Item());
        Assert.InRange(std, 0.98 * expected, 1.02 * expected);
        Assert.InRange(t.Mean().Item(), -0.02 * expected, 0.02 * expected);
    }

    [Theory]
    [InlineData(6, 4)]
    [InlineData(4, 6)]
    [InlineData(5, 5)]
    public void Orthogonal_gives_orthonormal_rows_or_columns(int rows, int cols)
    {
        var w = Init.Orthogonal(Tensor.Zeros([rows, cols]), 2f, new Generator(3));
        // With gain g: WᵀW = g²I for a tall W, WWᵀ = g²I for a wide one.
        var gram = rows >= cols ? Ops.MatMul(Ops.Transpose(w), w) : Ops.MatMul(w, Ops.Transpose(w));
        int n = Math.Min(rows, cols);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(i == j ? 4f : 0f, gram[i, j], 4);
            }
        }
    }
}
