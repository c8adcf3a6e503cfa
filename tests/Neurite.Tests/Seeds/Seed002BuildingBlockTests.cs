using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Seeds;

/// <summary>
/// The worked examples of seed 002 ("Neural networks: the basic building block"), computed by the
/// engine's ops. Decimals such as 0.1 and 0.28 have no exact float32 form, so those results are
/// compared within <see cref="Tolerance"/>, a few float32 ulps at these magnitudes.
/// </summary>
public class Seed002BuildingBlockTests
{
    private const float Tolerance = 1e-6f;

    private static void AssertNear(float[] expected, Tensor actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual.Data[i]) <= Tolerance,
                $"element {i}: {actual.Data[i]}, expected {expected[i]} ± {Tolerance}");
        }
    }

    [Fact]
    public void Example_1_single_neuron_is_silenced_by_relu()
    {
        // z = w₁x₁ + w₂x₂ + w₃x₃ + b = (0.5)(2) + (−0.2)(3) + (0.8)(−1) + 0.1 = 1.0 − 0.6 − 0.8 + 0.1 = −0.3
        var x = Tensor.From([2f, 3f, -1f], [1, 3]);
        var w = Tensor.From([0.5f, -0.2f, 0.8f], [1, 3], requiresGrad: true);
        var b = Tensor.From([0.1f], requiresGrad: true);
        var z = Ops.Linear(x, w, b);
        AssertNear([-0.3f], z);

        // a = ReLU(−0.3) = max(0, −0.3) = 0: the neuron does not fire.
        var a = Ops.Relu(z);
        Assert.Equal(0f, a.Item());

        // ReLU'(−0.3) = 0, so no gradient reaches the weights or the bias: ∂a/∂w = ReLU'(z)·x = 0.
        a.Backward();
        Assert.Equal([0f, 0f, 0f], w.Grad!.ToArray());
        Assert.Equal([0f], b.Grad!.ToArray());
    }

    [Fact]
    public void Example_1_with_a_larger_bias_the_neuron_fires_and_passes_gradient()
    {
        // The contrast to the test above: b = 1.1 gives z = 1.0 − 0.6 − 0.8 + 1.1 = 0.7 > 0,
        // ReLU'(z) = 1 and ∂a/∂w = x = [2, 3, −1], ∂a/∂b = 1.
        var x = Tensor.From([2f, 3f, -1f], [1, 3]);
        var w = Tensor.From([0.5f, -0.2f, 0.8f], [1, 3], requiresGrad: true);
        var b = Tensor.From([1.1f], requiresGrad: true);
        var a = Ops.Relu(Ops.Linear(x, w, b));
        AssertNear([0.7f], a);
        a.Backward();
        Assert.Equal([2f, 3f, -1f], w.Grad!.ToArray());
        Assert.Equal([1f], b.Grad!.ToArray());
    }

    [Fact]
    public void Example_2_two_three_one_network()
    {
        // W¹ = [[0.2, −0.1], [0.4, 0.3], [−0.5, 0.6]], b¹ = [0.1, −0.2, 0.0], x = [1, 2]
        var x = Tensor.From([1f, 2f], [1, 2]);
        var w1 = Tensor.From([[0.2f, -0.1f], [0.4f, 0.3f], [-0.5f, 0.6f]]);
        var b1 = Tensor.From([0.1f, -0.2f, 0.0f]);
        // z¹₁ = (0.2)(1) + (−0.1)(2) + 0.1 = 0.1
        // z¹₂ = (0.4)(1) + (0.3)(2) − 0.2 = 0.8
        // z¹₃ = (−0.5)(1) + (0.6)(2) + 0.0 = 0.7
        var z1 = Ops.Linear(x, w1, b1);
        AssertNear([0.1f, 0.8f, 0.7f], z1);

        // h = ReLU(z¹) = [0.1, 0.8, 0.7]: all three are positive, all active.
        var h = Ops.Relu(z1);
        AssertNear([0.1f, 0.8f, 0.7f], h);

        // ŷ = w²ᵀh + b² = (0.7)(0.1) + (−0.3)(0.8) + (0.5)(0.7) + 0.1 = 0.07 − 0.24 + 0.35 + 0.1 = 0.28
        var w2 = Tensor.From([0.7f, -0.3f, 0.5f], [1, 3]);
        var b2 = Tensor.From([0.1f]);
        var y = Ops.Linear(h, w2, b2);
        Assert.Equal([1, 1], y.Shape.ToArray());
        AssertNear([0.28f], y);
    }

    [Fact]
    public void Example_3_stacked_linear_layers_collapse()
    {
        // W₁ = [[1, 2], [3, 4]], W₂ = [[0.5, −1], [1.5, 0.5]], x = [1, 1]; column-vector form Wx.
        var w1 = Tensor.From([[1f, 2f], [3f, 4f]]);
        var w2 = Tensor.From([[0.5f, -1f], [1.5f, 0.5f]]);
        var x = Tensor.From([1f, 1f]);

        // h = W₁x = [1 + 2, 3 + 4] = [3, 7]
        var h = Ops.MatMul(w1, x);
        Assert.Equal([3f, 7f], h.ToArray());

        // y = W₂h = [(0.5)(3) + (−1)(7), (1.5)(3) + (0.5)(7)] = [1.5 − 7, 4.5 + 3.5] = [−5.5, 8.0]
        var y = Ops.MatMul(w2, h);
        Assert.Equal([-5.5f, 8f], y.ToArray());

        // W′ = W₂W₁ = [[(0.5)(1) + (−1)(3), (0.5)(2) + (−1)(4)], [(1.5)(1) + (0.5)(3), (1.5)(2) + (0.5)(4)]]
        //           = [[−2.5, −3.0], [3.0, 5.0]]
        var wPrime = Ops.MatMul(w2, w1);
        Assert.Equal([2, 2], wPrime.Shape.ToArray());
        Assert.Equal([-2.5f, -3f, 3f, 5f], wPrime.ToArray());

        // y = W′x = [−2.5 − 3.0, 3.0 + 5.0] = [−5.5, 8.0]: the same result, by one layer; and the
        // same again through Ops.Linear (x·W′ᵀ), the layer form.
        Assert.Equal([-5.5f, 8f], Ops.MatMul(wPrime, x).ToArray());
        Assert.Equal([-5.5f, 8f], Ops.Linear(x, wPrime).ToArray());
    }
}
