using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

public class PenaltyTests
{
    [Fact]
    public void L2_is_half_lambda_times_the_squared_frobenius_norm_and_its_gradient_is_lambda_w()
    {
        var w = Tensor.From([[1f, -2f], [3f, 0.5f]], requiresGrad: true);
        var b = Tensor.From([4f], requiresGrad: true);
        var penalty = Penalties.L2([w, b], 0.1);
        Assert.Equal(0.05f * (1 + 4 + 9 + 0.25f + 16), penalty.Item(), 5);
        penalty.Backward();
        Assert.Equal([0.1f, -0.2f, 0.3f, 0.05f], w.Grad!.ToArray(), new FloatTolerance(1e-7f));
        Assert.Equal([0.4f], b.Grad!.ToArray(), new FloatTolerance(1e-7f));
    }

    [Fact]
    public void L1_is_lambda_times_the_sum_of_magnitudes_and_its_gradient_is_lambda_sign_w()
    {
        var w = Tensor.From([[1f, -2f], [3f, -0.5f]], requiresGrad: true);
        var penalty = Penalties.L1([w], 0.01);
        Assert.Equal(0.01f * 6.5f, penalty.Item(), 6);
        penalty.Backward();
        Assert.Equal([0.01f, -0.01f, 0.01f, -0.01f], w.Grad!.ToArray());
    }

    [Fact]
    public void Both_penalties_pass_the_finite_difference_check()
    {
        Check(x => Penalties.L2(x, 0.3), [Input([3, 4], 1), Input([4], 2)]);
        Check(x => Penalties.L1(x, 0.7), [AwayFromZero([3, 4], 3), AwayFromZero([5], 4)]);
    }

    [Fact]
    public void An_l2_penalty_takes_the_same_sgd_step_as_weight_decay()
    {
        // SGD with weight_decay λ adds λ·w to the gradient; (λ/2)·Σw² in the loss adds the same.
        var x = Tensor.Uniform([8, 3], -1, 1, new Generator(5));
        var target = Tensor.Uniform([8, 2], -1, 1, new Generator(6));
        var withPenalty = new Linear(3, 2, rng: new Generator(7));
        var withDecay = new Linear(3, 2, rng: new Generator(7));
        var penalized = new SGD(withPenalty.Parameters(), new SGDOptions(0.1, Momentum: 0.9));
        var decayed = new SGD(withDecay.Parameters(), new SGDOptions(0.1, Momentum: 0.9, WeightDecay: 0.05));
        for (int step = 0; step < 5; step++)
        {
            penalized.ZeroGrad();
            (Losses.Mse(withPenalty.Call(x), target) + Penalties.L2(withPenalty.Parameters(), 0.05)).Backward();
            penalized.Step();
            decayed.ZeroGrad();
            Losses.Mse(withDecay.Call(x), target).Backward();
            decayed.Step();
        }
        Assert.Equal(withDecay.Weight.ToArray(), withPenalty.Weight.ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(withDecay.Bias!.ToArray(), withPenalty.Bias!.ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Weights_are_the_matrices_of_a_module_without_biases_or_normalization_gains()
    {
        var net = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
        var weights = Penalties.Weights(net).ToList();
        Assert.Equal(2, weights.Count);
        Assert.Same(((Linear)net[0]).Weight, weights[0]);
        Assert.Same(((Linear)net[3]).Weight, weights[1]);
    }

    [Fact]
    public void A_negative_lambda_is_refused_with_its_value()
    {
        var e = Assert.Throws<ArgumentException>(() => Penalties.L2([Tensor.Zeros([2])], -0.5));
        Assert.Equal("lambda", e.ParamName);
        Assert.StartsWith("L2 penalty: lambda must be finite and non-negative; got -0.5.", e.Message);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));

        public int GetHashCode(float value) => 0;
    }
}
