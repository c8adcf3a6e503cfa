using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void Creation_functions_fill_the_requested_shape()
    {
        var zeros = Tensor.Zeros([2, 3]);
        Assert.Equal([2, 3], zeros.Shape.ToArray());
        Assert.All(zeros.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones([4]).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full([2, 2], 7.5f).ToArray(), v => Assert.Equal(7.5f, v));
        Assert.Equal([0f, 1f, 2f, 3f], Tensor.Arange(4).ToArray());
        Assert.Equal([1f, 1.5f, 2f, 2.5f], Tensor.Arange(1, 3, 0.5f).ToArray());
        Assert.Equal([3f, 1f], Tensor.Arange(3, 0, -2).ToArray());
        Assert.Equal(0, Tensor.Scalar(2f).Rank);
        Assert.Equal(2f, Tensor.Scalar(2f).Item());
    }

    [Fact]
    public void Tensors_come_from_arrays_and_collection_expressions()
    {
        Tensor vector = [1f, 2f, 3f];
        Assert.Equal([3], vector.Shape.ToArray());
        var matrix = Tensor.From([[1f, 2f], [3f, 4f], [5f, 6f]]);
        Assert.Equal([3, 2], matrix.Shape.ToArray());
        Assert.Equal(6f, matrix[2, 1]);
        var rectangular = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(4f, rectangular[1, 0]);
        var shaped = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f], [3, 1, 2]);
        Assert.Equal(5f, shaped[2, 0, 0]);
    }

    [Fact]
    public void Creation_rejects_impossible_shapes_before_allocating()
    {
        var tooBig = Assert.Throws<ArgumentException>(() => Tensor.Zeros([1_000_000, 1_000_000]));
        Assert.Contains("[1000000, 1000000]", tooBig.Message);
        var negative = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, -1]));
        Assert.Contains("negative", negative.Message);
        var ragged = Assert.Throws<ArgumentException>(() => Tensor.From([[1f, 2f], [3f]]));
        Assert.Contains("row 1", ragged.Message);
        var mismatch = Assert.Throws<ArgumentException>(() => Tensor.From([1f, 2f, 3f], [2, 2]));
        Assert.Contains("[2, 2]", mismatch.Message);
    }

    [Fact]
    public void Indexing_out_of_range_names_the_axis_and_shape()
    {
        var t = Tensor.Zeros([2, 3]);
        var e = Assert.Throws<IndexOutOfRangeException>(() => t[1, 3]);
        Assert.Contains("axis 1", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<InvalidOperationException>(() => t.Item());
    }

    [Fact]
    public void Binary_ops_broadcast_as_numpy()
    {
        var a = Tensor.From([[1f], [2f]]);          // [2, 1]
        Tensor b = [10f, 20f, 30f];                  // [3]
        var sum = a + b;                             // [2, 3]
        Assert.Equal([2, 3], sum.Shape.ToArray());
        Assert.Equal([11f, 21f, 31f, 12f, 22f, 32f], sum.ToArray());
        Assert.Equal([-9f, -19f, -29f, -8f, -18f, -28f], (a - b).ToArray());
        Assert.Equal([10f, 20f, 30f, 20f, 40f, 60f], (a * b).ToArray());
        Assert.Equal([0.1f, 0.05f, 1 / 30f, 0.2f, 0.1f, 2 / 30f], (a / b).ToArray());
        Assert.Equal([3f, 6f], (a * 3f).Reshape(2).ToArray());
        Assert.Equal([1f, 8f], Ops.Pow(a, 3f).Reshape(2).ToArray());
        Assert.Equal([1f, 4f, 9f], Ops.Pow(Tensor.From([1f, 2f, 3f]), Tensor.Scalar(2f)).ToArray());
    }

    [Fact]
    public void Broadcasting_errors_name_the_op_and_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]) + Tensor.Zeros([4]));
        Assert.Contains("Add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        var m = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([4, 5])));
        Assert.Contains("MatMul", m.Message);
        Assert.Contains("[2, 3]", m.Message);
        Assert.Contains("[4, 5]", m.Message);
    }

    [Fact]
    public void Unary_ops_compute_their_functions()
    {
        Tensor x = [-2f, 0.5f, 4f];
        Assert.Equal([2f, -0.5f, -4f], (-x).ToArray());
        Assert.Equal([2f, 0.5f, 4f], Ops.Abs(x).ToArray());
        Assert.Equal([-1f, 0.5f, 1f], Ops.Clamp(x, -1f, 1f).ToArray());
        Assert.Equal(2f, Ops.Sqrt(Tensor.From([4f])).Item());
        Assert.Equal(MathF.E, Ops.Exp(Tensor.From([1f])).Item(), 5);
        Assert.Equal(1f, Ops.Log(Tensor.From([MathF.E])).Item(), 5);
        Assert.Equal([-1f, 0f, 1f], Ops.Sign(Tensor.From([-3f, 0f, 2f])).ToArray());
    }

    [Fact]
    public void Comparisons_where_maximum_and_minimum_work_elementwise()
    {
        Tensor a = [1f, 5f, 3f], b = [2f, 5f, 1f];
        Assert.Equal([0f, 1f, 0f], Ops.Eq(a, b).ToArray());
        Assert.Equal([1f, 0f, 1f], Ops.NotEqual(a, b).ToArray());
        Assert.Equal([1f, 0f, 0f], Ops.Less(a, b).ToArray());
        Assert.Equal([1f, 1f, 0f], Ops.LessEqual(a, b).ToArray());
        Assert.Equal([0f, 0f, 1f], Ops.Greater(a, b).ToArray());
        Assert.Equal([0f, 1f, 1f], Ops.GreaterEqual(a, b).ToArray());
        Assert.Equal([2f, 5f, 3f], Ops.Maximum(a, b).ToArray());
        Assert.Equal([1f, 5f, 1f], Ops.Minimum(a, b).ToArray());
        Assert.Equal([1f, 5f, 1f], Ops.Where(Ops.Less(a, b), a, b).ToArray()); // a where a < b, else b
        Assert.Equal([1f, 0f, 0f], Ops.Where(Ops.Less(a, b), a, Tensor.Scalar(0f)).ToArray());
    }

    [Fact]
    public void Reductions_work_over_any_axes_with_and_without_keep_dims()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(276f, x.Sum().Item());
        Assert.Equal(11.5f, x.Mean().Item());
        var s02 = Ops.Sum(x, [0, 2]);
        Assert.Equal([3], s02.Shape.ToArray());
        // Axis 1 index j: Σ over i∈{0,1}, k∈{0..3} of (12i + 4j + k) = 2·(16j + 6) + 4·12 = 32j + 60
        Assert.Equal([60f, 92f, 124f], s02.ToArray());
        var kept = Ops.Sum(x, [0, 2], keepDims: true);
        Assert.Equal([1, 3, 1], kept.Shape.ToArray());
        Assert.Equal([3f, 7f, 11f, 15f, 19f, 23f], Ops.Max(x, -1).ToArray());
        Assert.Equal([0f, 1f, 2f, 3f], Ops.Min(x, [0, 1]).ToArray());
        Assert.Equal([2f, 2f, 2f, 2f, 2f, 2f, 2f, 2f], Ops.ArgMax(x, 1).ToArray());
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], Ops.ArgMin(x, 1).ToArray());
        Assert.Equal(23f, Ops.ArgMax(x).Item());
        // var([1, 2, 3, 4]) unbiased = Σ(x − 2.5)² / 3 = 5/3; biased = 5/4
        Tensor v = [1f, 2f, 3f, 4f];
        Assert.Equal(5f / 3f, v.Variance().Item(), 6);
        Assert.Equal(1.25f, Ops.Variance(v, [], correction: 0).Item(), 6);
        // One positional int is an axis, as in torch.var(x, 1): rows [1, 2, 3] and [4, 5, 9] → [1, 7]
        Assert.Equal([1f, 7f], Ops.Variance(Tensor.From([[1f, 2f, 3f], [4f, 5f, 9f]]), 1).ToArray());
        Assert.Equal([1f, 7f], Tensor.From([[1f, 2f, 3f], [4f, 5f, 9f]]).Variance(1).ToArray());
    }

    [Fact]
    public void Reductions_reject_bad_axes_with_the_op_name()
    {
        var x = Tensor.Zeros([2, 3]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Sum(x, 2));
        Assert.Contains("Sum", e.Message);
        Assert.Contains("rank 2", e.Message);
        Assert.Throws<ArgumentException>(() => Ops.Sum(x, [1, -1]));
        Assert.Throws<ArgumentException>(() => Ops.Max(Tensor.Zeros([2, 0]), 1));
    }

    [Fact]
    public void Shape_ops_rearrange_elements()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], x.Transpose().ToArray());
        Assert.Equal([3, 2], x.Transpose().Shape.ToArray());
        var cube = Tensor.Arange(24).Reshape(2, 3, 4);
        var permuted = cube.Permute(2, 0, 1);
        Assert.Equal([4, 2, 3], permuted.Shape.ToArray());
        Assert.Equal(cube[1, 2, 3], permuted[3, 1, 2]);
        Assert.Equal([1f, 4f], x.Slice(1, 1, 2).ToArray());
        Assert.Equal([0f, 2f, 3f, 5f], x.Slice(1, 0, 3, 2).ToArray());
        Assert.Equal([3f, 4f, 5f], x.Slice(0, -1, 2).ToArray());
        // Bounds beyond the axis are clamped, as Python's x[1:10] and x[-10:1]
        Assert.Equal([1f, 2f, 4f, 5f], x.Slice(1, 1, 10).ToArray());
        Assert.Equal([0f, 3f], x.Slice(1, -10, 1).ToArray());
        Assert.Equal([2, 0], x.Slice(1, 5, 10).Shape.ToArray());
        var joined = Ops.Concat([x, Tensor.Full([2, 1], 9f)], 1);
        Assert.Equal([0f, 1f, 2f, 9f, 3f, 4f, 5f, 9f], joined.ToArray());
        var stacked = Ops.Stack([Tensor.From([1f, 2f]), Tensor.From([3f, 4f])], 1);
        Assert.Equal([2, 2], stacked.Shape.ToArray());
        Assert.Equal([1f, 3f, 2f, 4f], stacked.ToArray());
        Assert.Equal([3f, 4f, 5f, 0f, 1f, 2f], Ops.IndexSelect(x, 0, [1, 0]).ToArray());
        Assert.Equal([2f, 0f, 3f, 5f], Ops.Gather(x, 1, Tensor.From([[2f, 0f], [0f, 2f]])).ToArray());
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 1f], Ops.OneHot(Tensor.From([1f, 0f, 2f]), 3).ToArray());
        Assert.Equal([2, 1, 3], x.Unsqueeze(1).Shape.ToArray());
        Assert.Equal([6], x.Flatten().Shape.ToArray());
        Assert.Equal([0f, 1f, 2f, 0f, 1f, 2f], Tensor.Arange(3).BroadcastTo(2, 3).ToArray());
    }

    [Fact]
    public void Reshape_shares_data_and_infers_one_size()
    {
        var x = Tensor.Arange(6);
        var view = x.Reshape(-1, 2);
        Assert.Equal([3, 2], view.Shape.ToArray());
        view.Data[0] = 42f;
        Assert.Equal(42f, x.Data[0]);
        Assert.Throws<ArgumentException>(() => x.Reshape(4, -1));
        Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1));
    }

    [Fact]
    public void Shape_op_errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Contains("Slice", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(2, 0, 1)).Message);
        Assert.Contains("Slice", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 0, 2, step: 0)).Message);
        Assert.Contains("Concat", Assert.Throws<ArgumentException>(() => Ops.Concat([x, Tensor.Zeros([3, 3])], 1)).Message);
        Assert.Contains("IndexSelect", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.IndexSelect(x, 1, [3])).Message);
        Assert.Contains("Gather", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather(x, 1, Tensor.From([[3f]]))).Message);
        Assert.Contains("OneHot", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.OneHot(Tensor.From([1.5f]), 3)).Message);
        Assert.Contains("Permute", Assert.Throws<ArgumentException>(() => x.Permute(0, 0)).Message);
        Assert.Contains("Linear", Assert.Throws<ArgumentException>(() => Ops.Linear(x, Tensor.Zeros([4, 2]))).Message);
    }

    [Fact]
    public void Nan_and_infinity_propagate_as_ieee_arithmetic_says()
    {
        Tensor x = [float.NaN, float.PositiveInfinity, -1f];
        var y = x * 2f + 1f;
        Assert.True(float.IsNaN(y[0]));
        Assert.True(float.IsPositiveInfinity(y[1]));
        Assert.True(float.IsNaN(Ops.Log(x)[2]));
        Assert.True(float.IsNaN(x.Sum().Item()));
        Assert.True(float.IsNaN(x.Max().Item()));
        Assert.True(float.IsNaN(Ops.Relu(x)[0]));
        Assert.True(float.IsNaN(Ops.Maximum(x, Tensor.Scalar(0f))[0]));
        Assert.Equal(0f, Ops.ArgMax(x, 0).Item());
        Assert.True(float.IsNaN((Tensor.Scalar(0f) / Tensor.Scalar(0f)).Item()));
    }

    [Fact]
    public void Softmax_is_stable_for_large_inputs()
    {
        Tensor x = [1000f, 1000f, -1000f];
        Assert.Equal([0.5f, 0.5f, 0f], x.Softmax().ToArray());
        var log = x.LogSoftmax().ToArray();
        Assert.Equal(-MathF.Log(2), log[0], 5);
        Assert.Equal(-2000f - MathF.Log(2), log[2], 2);
    }
}
