using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Autograd;

/// <summary>Narrow, Select, Unbind and Slice: views at an offset into a shared buffer, and their backward.</summary>
public class ViewTests
{
    /// <summary>[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]].</summary>
    private static Tensor Grid() => Ops.Reshape(Tensor.Arange(12), [4, 3]);

    [Fact]
    public void Narrow_along_the_leading_axis_is_a_view_of_exactly_its_elements()
    {
        var x = Grid();
        var y = Ops.Narrow(x, 0, 1, 2);

        Assert.Equal([2, 3], y.Shape.ToArray());
        Assert.Equal(6, y.Count);
        Assert.Equal([3f, 4f, 5f, 6f, 7f, 8f], y.Data.ToArray());
        Assert.Equal([3f, 4f, 5f, 6f, 7f, 8f], y.ToArray());
        Assert.Equal([3f, 4f, 5f, 6f, 7f, 8f], y.ToList());
        Assert.Equal(7f, y[1, 1]);
        Assert.Equal("tensor([[3., 4., 5.],\n        [6., 7., 8.]])", y.ToString());

        // Writing through the view writes into x: they share one buffer.
        y[0, 0] = 30f;
        y.Data[5] = 80f;
        Assert.Equal(30f, x[1, 0]);
        Assert.Equal(80f, x[2, 2]);

        // Clone is a compact copy that no longer shares.
        var copy = y.Clone();
        copy.Data[0] = -1f;
        Assert.Equal(30f, x[1, 0]);
        Assert.Equal([-1f, 4f, 5f, 6f, 7f, 80f], copy.ToArray());
    }

    [Fact]
    public void Views_of_views_add_their_offsets()
    {
        var x = Grid();
        var inner = Ops.Narrow(Ops.Narrow(x, 0, 1, 3), 0, 1, 2);
        Assert.Equal([6f, 7f, 8f, 9f, 10f, 11f], inner.ToArray());
        var row = Ops.Select(inner, 0, -1);
        Assert.Equal([9f, 10f, 11f], row.ToArray());
        Assert.Equal(10f, Ops.Select(row, 0, 1).Item());
        var flat = Ops.Reshape(inner, [6]);
        Assert.Equal([6f, 7f, 8f, 9f, 10f, 11f], flat.ToArray());
        flat.Data[0] = 60f;
        Assert.Equal(60f, x[2, 0]);
        Assert.Equal(60f, inner.Detach()[0, 0]);
    }

    [Fact]
    public void Select_and_Unbind_share_along_the_leading_axis_and_axes_after_size_one_axes()
    {
        var x = Grid();
        var rows = Ops.Unbind(x, 0);
        Assert.Equal(4, rows.Length);
        Assert.Equal([3], rows[2].Shape.ToArray());
        Assert.Equal([6f, 7f, 8f], rows[2].ToArray());
        rows[3].Data[1] = 100f;
        Assert.Equal(100f, x[3, 1]);

        // [1, 4, 3]: axis 1 follows an axis of size 1, so its slices are consecutive too.
        var batch = Ops.Reshape(x, [1, 4, 3]);
        var second = Ops.Select(batch, 1, 1);
        Assert.Equal([1, 3], second.Shape.ToArray());
        second.Data[0] = 33f;
        Assert.Equal(33f, x[1, 0]);
    }

    [Fact]
    public void Slices_along_an_inner_axis_are_copies()
    {
        var x = Grid();
        var column = Ops.Select(x, 1, 2);
        Assert.Equal([2f, 5f, 8f, 11f], column.ToArray());
        column.Data[0] = -1f;
        Assert.Equal(2f, x[0, 2]);

        var columns = Ops.Unbind(x, 1);
        Assert.Equal([1f, 4f, 7f, 10f], columns[1].ToArray());
        Assert.Equal([[0f, 1f], [3f, 4f], [6f, 7f], [9f, 10f]], ToRows(Ops.Narrow(x, 1, 0, 2)));
        Assert.Equal([[0f, 2f], [3f, 5f], [6f, 8f], [9f, 11f]], ToRows(Ops.Slice(x, 1, 0, 3, 2)));
        // Every other row of the leading axis is no single run either.
        Assert.Equal([[0f, 1f, 2f], [6f, 7f, 8f]], ToRows(Ops.Slice(x, 0, 0, 4, 2)));
    }

    private static float[][] ToRows(Tensor matrix) =>
        [.. Enumerable.Range(0, matrix.Shape[0]).Select(i => Ops.Select(matrix, 0, i).ToArray())];

    [Fact]
    public void Narrow_takes_a_negative_start_and_an_empty_length()
    {
        var x = Grid();
        Assert.Equal([9f, 10f, 11f], Ops.Narrow(x, 0, -1, 1).ToArray());
        Assert.Equal([0, 3], Ops.Narrow(x, 0, 4, 0).Shape.ToArray());
        Assert.Equal([4, 0], Ops.Narrow(x, -1, 3, 0).Shape.ToArray());
    }

    [Fact]
    public void Out_of_range_slices_name_the_op_and_the_shape()
    {
        var x = Grid();
        var narrow = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Narrow(x, 0, 3, 2));
        Assert.StartsWith("Narrow: start 3 and length 2 do not fit axis 0 of size 4 (shape [4, 3]).", narrow.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Narrow(x, 1, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Narrow(x, 1, -4, 1));
        var select = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Select(x, 1, 3));
        Assert.StartsWith("Select: index 3 is out of range for axis 1 of size 3 (shape [4, 3]).", select.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Select(x, 0, -5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Unbind(Tensor.Scalar(1f)));
    }

    [Fact]
    public void Ops_on_views_read_only_the_view()
    {
        var gen = new Generator(5);
        var a = Tensor.Uniform([5, 4], -1f, 1f, gen);
        var b = Tensor.Uniform([4, 3], -1f, 1f, gen);
        var part = Ops.Narrow(a, 0, 2, 3);
        var compact = part.Clone();
        Assert.Equal(Ops.MatMul(compact, b).ToArray(), Ops.MatMul(part, b).ToArray());
        Assert.Equal(Ops.Linear(compact, Ops.Transpose(b)).ToArray(), Ops.Linear(part, Ops.Transpose(b)).ToArray());
        Assert.Equal(Ops.Add(compact, compact).ToArray(), Ops.Add(part, part).ToArray());
        Assert.Equal(Ops.Sum(compact, 0).ToArray(), Ops.Sum(part, 0).ToArray());
        Assert.Equal(Ops.Softmax(compact).ToArray(), Ops.Softmax(part).ToArray());
        Assert.Equal(Ops.Permute(compact, [1, 0]).ToArray(), Ops.Permute(part, [1, 0]).ToArray());
        Assert.Equal(Ops.BroadcastTo(Ops.Select(a, 0, 4), [2, 4]).ToArray(),
            Ops.BroadcastTo(Ops.Select(a, 0, 4).Clone(), [2, 4]).ToArray());
    }

    [Fact]
    public void A_parameter_and_a_safetensors_file_made_from_a_view_hold_the_view()
    {
        var x = Grid();
        var parameter = new Parameter(Ops.Narrow(x, 0, 2, 2));
        Assert.Equal([6f, 7f, 8f, 9f, 10f, 11f], parameter.ToArray());
        parameter.Data[0] = 60f;
        Assert.Equal(60f, x[2, 0]);

        var bytes = SafeTensors.Serialize([new("row", Ops.Select(x, 0, 1))]);
        Assert.Equal([3f, 4f, 5f], SafeTensors.Deserialize(bytes).Tensors["row"].ToArray());
    }

    [Fact]
    public void Narrow_Select_Unbind_and_Slice_are_differentiable()
    {
        Check(x => Ops.Narrow(x[0], 0, 1, 2), [Input([4, 3], 60)]);
        Check(x => Ops.Narrow(x[0], 1, 1, 2), [Input([2, 4, 3], 61)]);
        Check(x => Ops.Narrow(x[0], -1, 0, 2), [Input([2, 4, 3], 62)]);
        Check(x => Ops.Select(x[0], 0, 2), [Input([4, 3], 63)]);
        Check(x => Ops.Select(x[0], 1, -1), [Input([2, 4, 3], 64)]);
        Check(x => Ops.Stack(Ops.Unbind(x[0], 0), 1), [Input([3, 4], 65)]);
        Check(x => Ops.Stack(Ops.Unbind(x[0], 2), 0), [Input([2, 2, 3], 66)]);
        Check(x => Ops.Slice(x[0], 0, 1, 4, 2), [Input([5, 2], 67)]);
        Check(x => Ops.Slice(x[0], 1, -3, 10), [Input([2, 4], 68)]);
    }

    [Fact]
    public void Slices_overlapping_each_other_and_the_whole_add_their_gradients()
    {
        // y = [x₀:₂ ; x₁:₃ ; x]: row 1 is in all three, so ∂x₁ = g of three rows.
        Check(x => Ops.Concat([Ops.Narrow(x[0], 0, 0, 2), Ops.Narrow(x[0], 0, 1, 2), x[0]], 0), [Input([3, 2], 70)]);
        // p is used whole and sliced. In the first order the whole's gradient (a view of Concat's g, which the walk
        // does not own) arrives first, so the slice's backward adds into a copy; in the second the slice's comes
        // first and makes p's gradient, and the whole's is added into it in place.
        Check(x =>
        {
            var p = Ops.Mul(x[0], 2f);
            return Ops.Concat([Ops.Reshape(Ops.Narrow(p, 0, 1, 1), [-1]), Ops.Reshape(p, [-1])], 0);
        }, [Input([3, 2], 71)]);
        Check(x =>
        {
            var p = Ops.Mul(x[0], 2f);
            return Ops.Concat([Ops.Reshape(p, [-1]), Ops.Reshape(Ops.Select(Ops.Select(p, 1, 1), 0, 2), [1])], 0);
        }, [Input([3, 2], 72)]);
        // A slice of the root itself.
        Check(x => Ops.Narrow(Ops.Narrow(x[0], 0, 1, 2), 0, 1, 1), [Input([3, 2], 73)]);
    }

    [Fact]
    public void Hand_computed_gradient_of_a_select_round_trip()
    {
        // L = Σ_t (t + 1)·Σ_j x[t, j]²: ∂x[t, j] = 2(t + 1)·x[t, j].
        var x = Tensor.From([[1f, 2f], [3f, 4f], [5f, 6f]], requiresGrad: true);
        var rows = Ops.Unbind(x);
        var loss = Ops.Sum(Ops.Stack(rows.Select((row, t) => Ops.Mul(Ops.Sum(Ops.Mul(row, row)), t + 1f)).ToArray()));
        loss.Backward();
        // 1·(1 + 4) + 2·(9 + 16) + 3·(25 + 36) = 5 + 50 + 183
        Assert.Equal(238f, loss.Item());
        Assert.Equal([2f, 4f, 12f, 16f, 30f, 36f], x.Grad!.ToArray());
    }

    [Fact]
    public void Hooks_and_retained_gradients_see_a_slice_gradient()
    {
        var x = Tensor.From([[1f, 2f], [3f, 4f]], requiresGrad: true);
        var row = Ops.Select(x, 0, 1).RetainGrad();
        float[]? seen = null;
        row.RegisterHook(g => seen = g.ToArray());
        Ops.Sum(Ops.Mul(row, Tensor.From([5f, 6f]))).Backward();
        Assert.Equal([5f, 6f], seen!);
        Assert.Equal([5f, 6f], row.Grad!.ToArray());
        Assert.Equal([0f, 0f, 5f, 6f], x.Grad!.ToArray());
        Assert.Equal("SelectBackward", row.GradFn!.ToString());
    }

    [Fact]
    public void Pooled_gradient_buffers_are_not_reused_while_views_of_them_are_pending()
    {
        // 64 × 512 floats is above the pool's threshold. In backward, Mul makes ∂y (owned by the walk); Stack's
        // backward passes views of it to the rows; the rows' region backward then asks for a zeroed gradient of x's
        // size. Were ∂y back in the pool by then, that request would get its array, zero it under the pending views,
        // and x.Grad would come out 0 instead of w.
        var gen = new Generator(7);
        var x = Tensor.Uniform([64, 512], -1f, 1f, gen, requiresGrad: true);
        var w = Tensor.Uniform([64, 512], -1f, 1f, gen);
        for (int step = 0; step < 3; step++)
        {
            x.ZeroGrad();
            var y = Ops.Stack(Ops.Unbind(x), 0);
            Ops.Sum(Ops.Mul(y, w)).Backward();
            Assert.Equal(w.ToArray(), x.Grad!.ToArray());
        }
    }

    [Fact]
    public void A_sliced_parameter_writes_its_next_gradient_into_the_last_one()
    {
        // As for Linear's weight: a training loop that only calls ZeroGrad and Backward reuses the gradient tensor
        // (GradInternal: reading Grad would mark it as seen outside and keep it).
        var x = Tensor.Uniform([4, 3], -1f, 1f, new Generator(9), requiresGrad: true);
        Tensor? previous = null;
        for (int step = 0; step < 3; step++)
        {
            x.ZeroGrad();
            Ops.Sum(Ops.Mul(Ops.Stack(Ops.Unbind(x), 0), 3f)).Backward();
            var grad = x.GradInternal!;
            Assert.Equal(Enumerable.Repeat(3f, 12), grad.ToArray());
            if (previous is not null)
            {
                Assert.Same(previous, grad);
            }
            previous = grad;
        }
    }

    [Fact]
    public void Backward_leaves_the_forward_views_intact()
    {
        // The gradients of views are recycled by the pool; the views' forward data, shared with x, must not be.
        var gen = new Generator(8);
        var x = Tensor.Uniform([64, 512], -1f, 1f, gen, requiresGrad: true);
        var expected = x.ToArray();
        for (int step = 0; step < 3; step++)
        {
            var halves = new[] { Ops.Narrow(x, 0, 0, 32), Ops.Narrow(x, 0, 32, 32) };
            var loss = Ops.Sum(Ops.Mul(Ops.Concat(halves, 0), Ops.Concat(halves, 0)));
            loss.Backward();
            _ = Ops.Mul(Tensor.Uniform([64, 512], -1f, 1f, gen), 2f);
            Assert.Equal(expected, x.ToArray());
            Assert.Equal(expected, halves[0].ToArray().Concat(halves[1].ToArray()));
            x.ZeroGrad();
        }
    }
}
