using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void Backward_of_a_scalar_fills_leaf_gradients()
    {
        // y = Σ (x·w + 1)² ; ∂y/∂x = 2(x·w + 1)·w, ∂y/∂w = 2(x·w + 1)·x
        var x = Tensor.From([1f, 2f], requiresGrad: true);
        var w = Tensor.From([3f, -1f], requiresGrad: true);
        var y = Ops.Sum(Ops.Pow(x * w + 1f, 2f));
        y.Backward();
        Assert.Equal([2 * 4f * 3f, 2 * -1f * -1f], x.Grad!.ToArray());
        Assert.Equal([2 * 4f * 1f, 2 * -1f * 2f], w.Grad!.ToArray());
    }

    [Fact]
    public void Gradients_accumulate_across_calls_until_zeroed()
    {
        var x = Tensor.From([1f, 2f, 3f], requiresGrad: true);
        (x * 2f).Sum().Backward();
        (x * 2f).Sum().Backward();
        Assert.Equal([4f, 4f, 4f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * 5f).Sum().Backward();
        Assert.Equal([5f, 5f, 5f], x.Grad!.ToArray());
    }

    [Fact]
    public void A_tensor_used_twice_receives_the_sum_of_both_paths()
    {
        // y = x·x + x ; ∂y/∂x = 2x + 1
        var x = Tensor.From([3f], requiresGrad: true);
        (x * x + x).Sum().Backward();
        Assert.Equal(7f, x.Grad!.Item());
    }

    [Fact]
    public void Backward_with_an_upstream_gradient_weights_the_outputs()
    {
        var x = Tensor.From([1f, 2f], requiresGrad: true);
        var y = x * 3f;
        y.Backward(Tensor.From([10f, 100f]));
        Assert.Equal([30f, 300f], x.Grad!.ToArray());
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Throws<ArgumentException>(() => y.Backward(Tensor.From([1f])));
    }

    [Fact]
    public void Running_backward_twice_gives_the_same_gradient()
    {
        var x = Tensor.Uniform([3, 4], -1, 1, new Generator(7), requiresGrad: true);
        var loss = Ops.Mean(Ops.Tanh(Ops.MatMul(x, Ops.Transpose(x))));
        loss.Backward();
        var first = x.Grad!.ToArray();
        x.ZeroGrad();
        loss.Backward();
        Assert.Equal(first, x.Grad!.ToArray());
    }

    [Fact]
    public void Detach_and_no_grad_cut_the_graph()
    {
        var x = Tensor.From([2f], requiresGrad: true);
        var detached = x.Detach();
        Assert.False(detached.RequiresGrad);
        Assert.Equal(2f, detached.Item());
        // y = x · detach(x): only the first factor carries a gradient, so ∂y/∂x = x = 2, not 2x = 4.
        (x * detached).Sum().Backward();
        Assert.Equal(2f, x.Grad!.Item());

        using (Graph.NoGrad())
        {
            var inside = x * 3f;
            Assert.False(inside.RequiresGrad);
            Assert.Null(inside.GradFn);
            Assert.False(Graph.IsGradEnabled);
        }
        Assert.True(Graph.IsGradEnabled);
        Assert.True((x * 3f).RequiresGrad);
    }

    [Fact]
    public void Results_record_their_op_and_only_leaves_keep_gradients()
    {
        var x = Tensor.From([1f, -1f], requiresGrad: true);
        var hidden = Ops.Relu(x * 2f);
        Assert.Equal("Relu", hidden.GradFn!.Name);
        Assert.False(hidden.IsLeaf);
        var kept = (x * 4f).RetainGrad();
        (hidden.Sum() + kept.Sum()).Backward();
        Assert.Null(hidden.Grad);
        Assert.Equal([1f, 1f], kept.Grad!.ToArray());
        Assert.Throws<InvalidOperationException>(() => hidden.RequiresGrad = false);
        Assert.Throws<InvalidOperationException>(() => Tensor.From([1f]).Backward());
    }

    [Fact]
    public void Hooks_observe_and_may_replace_a_gradient_as_it_is_computed()
    {
        var x = Tensor.From([1f, 2f], requiresGrad: true);
        var z = x * 3f;
        Tensor? seen = null;
        z.RegisterHook(g => seen = g.Clone());
        z.RegisterHook(g => g * 10f); // scales what flows back to x
        (z * z).Sum().Backward();
        // ∂(z²)/∂z = 2z = [6, 12]; x receives 10·[6, 12]·3
        Assert.Equal([6f, 12f], seen!.ToArray());
        Assert.Equal([180f, 360f], x.Grad!.ToArray());

        var leafSeen = new List<float[]>();
        var w = Tensor.From([5f], requiresGrad: true);
        w.RegisterHook(g => leafSeen.Add(g.ToArray()));
        (w * 2f).Sum().Backward();
        Assert.Equal([2f], Assert.Single(leafSeen));
        Assert.Throws<InvalidOperationException>(() => Tensor.From([1f]).RegisterHook(_ => { }));
    }

    [Fact]
    public void Matmul_backward_matches_the_transposed_products()
    {
        // ∂Σ(A·B)/∂A = 1·Bᵀ (row sums of B), ∂/∂B = Aᵀ·1 (column sums of A)
        var a = Tensor.From([[1f, 2f], [3f, 4f]], requiresGrad: true);
        var b = Tensor.From([[5f, 6f], [7f, 8f]], requiresGrad: true);
        a.MatMul(b).Sum().Backward();
        Assert.Equal([11f, 15f, 11f, 15f], a.Grad!.ToArray());
        Assert.Equal([4f, 4f, 6f, 6f], b.Grad!.ToArray());
    }

    [Fact]
    public void Gradients_do_not_alias_between_inputs()
    {
        // Add hands the same upstream gradient to both inputs; accumulating into one leaf must not change the other.
        var a = Tensor.From([1f], requiresGrad: true);
        var b = Tensor.From([1f], requiresGrad: true);
        (a + b).Sum().Backward();
        (a * 3f).Sum().Backward();
        Assert.Equal(4f, a.Grad!.Item());
        Assert.Equal(1f, b.Grad!.Item());
    }

    [Fact]
    public void A_leaf_takes_over_a_fresh_gradient_but_copies_what_others_may_hold()
    {
        // A custom op (public Graph.Record) returns a tensor it keeps: the leaf must get a copy, so accumulating a
        // second backward into the leaf's Grad leaves the kept tensor as it was.
        var kept = Tensor.From([2f, 2f]);
        var x = Tensor.From([1f, 1f], requiresGrad: true);
        var y = Graph.Record(Tensor.From([1f, 1f]), "Custom", [x], _ => [kept]);
        y.Sum().Backward();
        y.Sum().Backward();
        Assert.Equal([4f, 4f], x.Grad!.ToArray());
        Assert.Equal([2f, 2f], kept.ToArray());

        // A hook that keeps the gradient it sees: later accumulation must not change it either.
        var w = Tensor.From([1f, 2f], requiresGrad: true);
        Tensor? seen = null;
        var z = w * 3f;
        z.RegisterHook(g => { seen = g; });
        z.Sum().Backward();
        z.Sum().Backward();
        Assert.Equal([6f, 6f], w.Grad!.ToArray());
        Assert.Equal([1f, 1f], seen!.ToArray());

        // A library op's fresh gradient (Linear's ∂W) becomes the Grad and accumulates correctly: ∂Σ(x·Wᵀ)/∂W = rows of x summed.
        var weight = Tensor.From([[1f, 2f]], requiresGrad: true);
        var input = Tensor.From([[3f, 4f], [5f, 6f]]);
        var linear = Ops.Linear(input, weight);
        linear.Sum().Backward();
        var first = weight.Grad!.ToArray();
        linear.Sum().Backward();
        Assert.Equal([8f, 10f], first);
        Assert.Equal([16f, 20f], weight.Grad!.ToArray());
    }


    [Fact]
    public void Gradients_taken_over_by_leaves_survive_later_steps()
    {
        // Leaves take over fresh gradients as their Grads, and the [64, 300] gradients of intermediates are large
        // enough for the walk to recycle their arrays. Two steps in a row: the first step's Grads (read, so the
        // caller's) must survive the second, whose tensors reuse recycled arrays, unchanged; and equal the sum of the
        // same gradients computed in chunks of 8 rows, too small to be recycled at all.
        var rng = new Generator(12);
        var w1 = Tensor.Uniform([300, 300], -0.1f, 0.1f, rng, requiresGrad: true);
        var w2 = Tensor.Uniform([300, 300], -0.1f, 0.1f, rng, requiresGrad: true);
        var x1 = Tensor.Uniform([64, 300], -1f, 1f, rng);
        var x2 = Tensor.Uniform([64, 300], -1f, 1f, rng);
        Tensor Loss(Tensor x) => Ops.Sum(Ops.Mul(Ops.Linear(Ops.Relu(Ops.Linear(x, w1)), w2), Ops.Linear(x, w2)));

        Loss(x1).Backward();
        var (g1, g2) = (w1.Grad!, w2.Grad!);
        var (copy1, copy2) = (g1.ToArray(), g2.ToArray());
        w1.ZeroGrad();
        w2.ZeroGrad();
        Loss(x2).Backward();
        Loss(x2).Backward();
        Assert.Equal(copy1, g1.ToArray());
        Assert.Equal(copy2, g2.ToArray());

        w1.ZeroGrad();
        w2.ZeroGrad();
        for (int start = 0; start < 64; start += 8)
        {
            Loss(Ops.Slice(x1, 0, start, start + 8)).Backward();
        }
        for (int i = 0; i < copy1.Length; i++)
        {
            Assert.Equal(copy1[i], (double)w1.Grad!.Data[i], tolerance: 1e-4 * (1 + Math.Abs(copy1[i])));
            Assert.Equal(copy2[i], (double)w2.Grad!.Data[i], tolerance: 1e-4 * (1 + Math.Abs(copy2[i])));
        }
    }

    [Fact]
    public void An_unseen_gradient_is_reused_and_a_seen_one_never_is()
    {
        // ∂Σ(x·Wᵀ)/∂W = Σ over rows of x; x scaled by k gives k times that.
        var weight = new Neurite.NN.Parameter(Tensor.From([[1f, 2f]]));
        var input = Tensor.From([[3f, 4f], [5f, 6f]]);
        void Step(float k)
        {
            weight.ZeroGrad();
            Ops.Linear(input * k, weight).Sum().Backward();
        }

        // Nobody outside reads the gradient between steps: the second step writes into the first one's tensor.
        Step(1f);
        var first = weight.GradInternal!;
        Step(2f);
        Assert.Same(first, weight.GradInternal);
        Assert.Equal([16f, 20f], weight.Grad!.ToArray());

        // Once read through Grad, a gradient is the caller's: the next steps leave it alone.
        var seen = weight.Grad!;
        Step(3f);
        Step(4f);
        Assert.Equal([16f, 20f], seen.ToArray());
        Assert.Equal([32f, 40f], weight.Grad!.ToArray());
        Assert.NotSame(seen, weight.Grad);
    }
}

