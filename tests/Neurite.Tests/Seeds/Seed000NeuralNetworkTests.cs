using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Seeds;

/// <summary>
/// The worked examples of seed 000 ("Neural Networks": layers of nonlinear transformations),
/// computed by the engine's ops. Every value here is a small binary fraction, so float32
/// arithmetic is exact and the asserts compare exactly unless a comment says otherwise.
/// </summary>
public class Seed000NeuralNetworkTests
{
    // W¹ = [[1, −2], [0, 3]], b¹ = [−1, 2], W² = [[2, −1]], b² = [0.5], x = [2, 1].
    private static Tensor W1() => Tensor.From([[1f, -2f], [0f, 3f]], requiresGrad: true);
    private static Tensor B1() => Tensor.From([-1f, 2f], requiresGrad: true);
    private static Tensor W2() => Tensor.From([[2f, -1f]], requiresGrad: true);
    private static Tensor B2() => Tensor.From([0.5f], requiresGrad: true);

    [Fact]
    public void Two_layer_relu_forward_pass()
    {
        var x = Tensor.From([2f, 1f], [1, 2]); // one sample, as a row: Linear computes x·Wᵀ + b = (Wx + b)ᵀ
        var w1 = W1();

        // Step 1: z¹ = W¹x + b¹ = [1·2 + (−2)·1, 0·2 + 3·1] + [−1, 2] = [0, 3] + [−1, 2] = [−1, 5]
        var z1 = Ops.Linear(x, w1, B1());
        Assert.Equal([1, 2], z1.Shape.ToArray());
        Assert.Equal([-1f, 5f], z1.ToArray());

        // Step 2: h¹ = ReLU(z¹) = [max(0, −1), max(0, 5)] = [0, 5]
        var h1 = Ops.Relu(z1);
        Assert.Equal([0f, 5f], h1.ToArray());

        // Step 3: z² = W²h¹ + b² = 2·0 + (−1)·5 + 0.5 = −4.5; Step 4: y = z² (linear output)
        var y = Ops.Linear(h1, W2(), B2());
        Assert.Equal([1, 1], y.Shape.ToArray());
        Assert.Equal(-4.5f, y.Item());

        // The graph keeps the pre-activation z¹ as the ReLU's input, for its backward.
        var relu = h1.GradFn!;
        Assert.Equal("Relu", relu.Name);
        Assert.Same(z1, relu.Inputs[0]);
        Assert.Equal([-1f, 5f], relu.Inputs[0].ToArray());

        // "ReLU zeroed out the first hidden unit": ∂y/∂z¹ = W²ᵀ ⊙ ReLU'(z¹) = [2·0, −1·1] = [0, −1],
        // so ∂y/∂W¹ = [0, −1]ᵀ·xᵀ = [[0, 0], [−2, −1]]: the first unit's weights get no gradient.
        y.Backward();
        Assert.Equal([0f, 0f, -2f, -1f], w1.Grad!.ToArray());
    }

    [Fact]
    public void Three_relu_hinges_make_a_triangle()
    {
        // g(x) = 1·ReLU(x) − 2·ReLU(x − 1) + 1·ReLU(x − 2) as a 1-3-1 network:
        // hidden weights [1, 1, 1]ᵀ with biases [0, −1, −2] (the hinges' kinks at 0, 1, 2),
        // output weights [1, −2, 1] with bias 0.
        var w1 = Tensor.From([[1f], [1f], [1f]]);
        var b1 = Tensor.From([0f, -1f, -2f]);
        var w2 = Tensor.From([[1f, -2f, 1f]]);
        var b2 = Tensor.From([0f]);
        var grid = Tensor.Arange(-1f, 3.25f, 0.25f); // −1, −0.75, …, 3: exact binary fractions
        var x = Ops.Reshape(grid, [grid.Count, 1]);

        var g = Ops.Linear(Ops.Relu(Ops.Linear(x, w1, b1)), w2, b2);

        Assert.Equal(17, grid.Count); // the grid covers [−1, 3]: left of, on, and right of the triangle
        Assert.Equal([grid.Count, 1], g.Shape.ToArray());
        for (int i = 0; i < grid.Count; i++)
        {
            float xi = grid.Data[i];
            // x < 0: every hinge is 0. 0 ≤ x ≤ 1: only h₁ = x is on, g = x.
            // 1 ≤ x ≤ 2: h₁ = x, h₂ = x − 1, g = x − 2(x − 1) = 2 − x.
            // x ≥ 2: g = x − 2(x − 1) + (x − 2) = 0: the triangle returns to 0.
            float expected = xi < 0 ? 0f : xi <= 1 ? xi : xi <= 2 ? 2 - xi : 0f;
            Assert.True(expected == g.Data[i], $"g({xi}) = {g.Data[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Two_affine_layers_collapse_to_one()
    {
        // h² = W²(W¹x + b¹) + b² = (W²W¹)x + (W²b¹ + b²) = W̃x + b̃.
        var rng = new Generator(2024);
        var w1 = Tensor.Normal([4, 3], 0f, 1f, rng);
        var b1 = Tensor.Normal([4], 0f, 1f, rng);
        var w2 = Tensor.Normal([2, 4], 0f, 1f, rng);
        var b2 = Tensor.Normal([2], 0f, 1f, rng);
        var x = Tensor.Normal([6, 3], 0f, 1f, rng);

        var stacked = Ops.Linear(Ops.Linear(x, w1, b1), w2, b2);
        var wTilde = Ops.MatMul(w2, w1);           // [2, 4]·[4, 3] = [2, 3]
        var bTilde = Ops.MatMul(w2, b1) + b2;      // [2, 4]·[4] + [2] = [2]
        var collapsed = Ops.Linear(x, wTilde, bTilde);

        // Equal up to float32 rounding: the two forms sum the same products in a different order.
        Assert.Equal([6, 2], collapsed.Shape.ToArray());
        for (int i = 0; i < stacked.Count; i++)
        {
            Assert.True(Math.Abs(stacked.Data[i] - collapsed.Data[i]) <= 1e-5f * (1 + Math.Abs(stacked.Data[i])),
                $"element {i}: stacked {stacked.Data[i]}, collapsed {collapsed.Data[i]}");
        }

        // With a ReLU between the layers the collapse fails: some hidden unit is negative for some
        // input, and ReLU changes it.
        var withRelu = Ops.Linear(Ops.Relu(Ops.Linear(x, w1, b1)), w2, b2);
        Assert.Contains(Enumerable.Range(0, withRelu.Count), i => Math.Abs(withRelu.Data[i] - collapsed.Data[i]) > 1e-3f);
    }

    [Fact]
    public void Practice_10_64_5_network_has_1029_parameters()
    {
        // W¹ ∈ ℝ⁶⁴ˣ¹⁰: 640, b¹ ∈ ℝ⁶⁴: 64, W² ∈ ℝ⁵ˣ⁶⁴: 320, b² ∈ ℝ⁵: 5; 640 + 64 + 320 + 5 = 1029.
        var rng = new Generator(10);
        Tensor[] parameters =
        [
            Tensor.Uniform([64, 10], -0.3f, 0.3f, rng), Tensor.Uniform([64], -0.3f, 0.3f, rng),
            Tensor.Uniform([5, 64], -0.1f, 0.1f, rng), Tensor.Uniform([5], -0.1f, 0.1f, rng),
        ];
        Assert.Equal(1029, parameters.Sum(p => p.Count));

        // The tensors fit the network: a batch of 7 inputs gives 7 softmax distributions over 5 classes.
        var x = Tensor.Normal([7, 10], 0f, 1f, rng);
        var probabilities = Ops.Softmax(Ops.Linear(Ops.Relu(Ops.Linear(x, parameters[0], parameters[1])), parameters[2], parameters[3]));
        Assert.Equal([7, 5], probabilities.Shape.ToArray());
        var rowSums = Ops.Sum(probabilities, 1);
        Assert.All(rowSums.ToArray(), s => Assert.InRange(s, 1f - 1e-6f, 1f + 1e-6f));
    }
}
