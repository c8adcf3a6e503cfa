using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Seeds;

/// <summary>
/// Seed 004's "backprop by hand": y = W2·ReLU(W1·x + b1) + b2, L = (y − t)², dL/dy = 2(y − t),
/// dL/dW2 = dL/dy·hᵀ, dL/dh = W2ᵀ·dL/dy masked by ReLU' (1 if z &gt; 0, else 0). The example is
/// chosen so that one hidden unit is off and every value is a binary fraction (exact in float32).
/// </summary>
public class Seed004BackpropByHandTests
{
    // x = [1, 2], W1 = [[1, 1], [−1, 0.5], [2, −1]], b1 = [0, −1, 0.5], W2 = [[0.5, −1, 2]], b2 = [−1], t = 2.
    //
    // Forward:
    //   z = W1·x + b1 = [1 + 2 + 0, −1 + 1 − 1, 2 − 2 + 0.5] = [3, −1, 0.5]
    //   h = ReLU(z) = [3, 0, 0.5]
    //   y = W2·h + b2 = 0.5·3 + (−1)·0 + 2·0.5 − 1 = 1.5
    //   L = (y − t)² = (−0.5)² = 0.25
    // Backward:
    //   dL/dy  = 2(y − t) = −1
    //   dL/dW2 = dL/dy·hᵀ = −1·[3, 0, 0.5] = [[−3, 0, −0.5]],  dL/db2 = −1
    //   dL/dh  = W2ᵀ·dL/dy = [−0.5, 1, −2]
    //   dL/dz  = dL/dh ⊙ ReLU'(z) = [−0.5, 1, −2] ⊙ [1, 0, 1] = [−0.5, 0, −2]
    //   dL/dW1 = dL/dz·xᵀ = [[−0.5, −1], [0, 0], [−2, −4]],  dL/db1 = [−0.5, 0, −2]
    //   dL/dx  = W1ᵀ·dL/dz = [1·(−0.5) + (−1)·0 + 2·(−2), 1·(−0.5) + 0.5·0 + (−1)·(−2)] = [−4.5, 1.5]
    private static readonly float[] ExpectedDw2 = [-3f, 0f, -0.5f];
    private static readonly float[] ExpectedDh = [-0.5f, 1f, -2f];
    private static readonly float[] ExpectedDz = [-0.5f, 0f, -2f];
    private static readonly float[] ExpectedDw1 = [-0.5f, -1f, 0f, 0f, -2f, -4f];
    private static readonly float[] ExpectedDx = [-4.5f, 1.5f];

    private sealed record Net(Tensor X, Tensor W1, Tensor B1, Tensor W2, Tensor B2);

    private static Net Create() => new(
        Tensor.From([1f, 2f], requiresGrad: true),
        Tensor.From([[1f, 1f], [-1f, 0.5f], [2f, -1f]], requiresGrad: true),
        Tensor.From([0f, -1f, 0.5f], requiresGrad: true),
        Tensor.From([[0.5f, -1f, 2f]], requiresGrad: true),
        Tensor.From([-1f], requiresGrad: true));

    [Fact]
    public void Engine_gradients_match_the_hand_derivation_in_column_vector_form()
    {
        var n = Create();
        // As the seed writes it: W·x with x a column vector (MatMul of a matrix and a vector).
        var z = (Ops.MatMul(n.W1, n.X) + n.B1).RetainGrad();
        var h = Ops.Relu(z).RetainGrad();
        var y = Ops.MatMul(n.W2, h) + n.B2;
        var loss = Ops.Sum(Ops.Pow(y - Tensor.Scalar(2f), 2f));

        Assert.Equal([3f, -1f, 0.5f], z.ToArray());
        Assert.Equal([3f, 0f, 0.5f], h.ToArray());
        Assert.Equal([1.5f], y.ToArray());
        Assert.Equal(0.25f, loss.Item());

        loss.Backward();
        Assert.Equal(ExpectedDw2, n.W2.Grad!.ToArray());
        Assert.Equal([-1f], n.B2.Grad!.ToArray());
        Assert.Equal(ExpectedDh, h.Grad!.ToArray());   // before the ReLU mask
        Assert.Equal(ExpectedDz, z.Grad!.ToArray());   // after it: the switched-off unit gets 0
        Assert.Equal(ExpectedDw1, n.W1.Grad!.ToArray());
        Assert.Equal(ExpectedDz, n.B1.Grad!.ToArray());
        Assert.Equal(ExpectedDx, n.X.Grad!.ToArray());
    }

    [Fact]
    public void Engine_gradients_match_the_hand_derivation_in_layer_form()
    {
        // The same network through Ops.Linear (x·Wᵀ + b, x as a one-row batch) gives the same gradients.
        var n = Create();
        var x = Ops.Reshape(n.X, [1, 2]);
        var y = Ops.Linear(Ops.Relu(Ops.Linear(x, n.W1, n.B1)), n.W2, n.B2);
        var diff = y - Tensor.Scalar(2f);
        var loss = Ops.Sum(diff * diff);
        Assert.Equal(0.25f, loss.Item());

        loss.Backward();
        Assert.Equal(ExpectedDw2, n.W2.Grad!.ToArray());
        Assert.Equal([-1f], n.B2.Grad!.ToArray());
        Assert.Equal(ExpectedDw1, n.W1.Grad!.ToArray());
        Assert.Equal(ExpectedDz, n.B1.Grad!.ToArray());
        Assert.Equal(ExpectedDx, n.X.Grad!.ToArray());
    }
}
