using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Autograd;

/// <summary>Ops and losses that take an IntTensor of indices: Embedding, Gather, IndexSelect, OneHot, CrossEntropy, NllLoss.</summary>
public class IndexingTests
{
    [Fact]
    public void Embedding_gathers_rows_and_scatters_their_gradient_back()
    {
        var weight = Tensor.From([[0f, 1f], [10f, 11f], [20f, 21f]], requiresGrad: true);
        var ids = IntTensor.From([[2, 0], [2, 1]]);
        var y = Ops.Embedding(weight, ids);
        Assert.Equal([2, 2, 2], y.Shape.ToArray());
        Assert.Equal([20f, 21f, 0f, 1f, 20f, 21f, 10f, 11f], y.ToArray());

        // L = Σ y ⊙ w: row r of ∂weight is the sum of w at the positions that read row r.
        var w = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], [2, 2, 2]);
        Ops.Sum(Ops.Mul(y, w)).Backward();
        // row 0 ← position [0, 1]: (3, 4); row 1 ← [1, 1]: (7, 8); row 2 ← [0, 0] + [1, 0]: (1 + 5, 2 + 6)
        Assert.Equal([3f, 4f, 7f, 8f, 6f, 8f], weight.Grad!.ToArray());
    }

    [Fact]
    public void Embedding_is_differentiable_and_names_a_bad_id()
    {
        var ids = IntTensor.From([3, 0, 3, 1, 3, 2], [2, 3]);
        Check(x => Ops.Embedding(x[0], ids), [Input([5, 3], 80)]);
        Check(x => Ops.Embedding(x[0], IntTensor.From([1], [])), [Input([2, 4], 81)]);

        var weight = Tensor.Zeros([3, 2]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(weight, IntTensor.From([[0, 1], [5, 2]])));
        Assert.StartsWith("Embedding: id 5 at position [1, 0] is out of range for 3 embeddings (weight [3, 2]).", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(weight, IntTensor.From([-1])));
        Assert.Contains("weight must be [num, dim]", Assert.Throws<ArgumentException>(() => Ops.Embedding(Tensor.Zeros([3]), IntTensor.From([0]))).Message);
    }

    [Fact]
    public void Embedding_backward_does_not_see_ids_changed_after_the_forward()
    {
        var weight = Tensor.Zeros([3, 1], requiresGrad: true);
        var ids = IntTensor.From([0, 0]);
        var y = Ops.Embedding(weight, ids);
        ids.Data[1] = 2;
        Ops.Sum(y).Backward();
        Assert.Equal([2f, 0f, 0f], weight.Grad!.ToArray());
    }

    [Fact]
    public void Gather_IndexSelect_and_OneHot_take_integer_indices()
    {
        var x = Ops.Reshape(Tensor.Arange(6), [2, 3]);
        Assert.Equal([2f, 0f, 3f, 5f], Ops.Gather(x, 1, IntTensor.From([[2, 0], [0, 2]])).ToArray());
        Assert.Equal(Ops.Gather(x, 0, Tensor.From([[1f, 0f, 1f]])).ToArray(), Ops.Gather(x, 0, IntTensor.From([[1, 0, 1]])).ToArray());
        Assert.Equal([3f, 4f, 5f, 0f, 1f, 2f], Ops.IndexSelect(x, 0, IntTensor.From([1, 0])).ToArray());
        Assert.Equal([2f, 5f], Ops.IndexSelect(x, 1, IntTensor.From([2], [])).ToArray());
        var oneHot = Ops.OneHot(IntTensor.From([[1, 0], [2, 1]]), 3);
        Assert.Equal([2, 2, 3], oneHot.Shape.ToArray());
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 1f, 0f], oneHot.ToArray());

        Check(t => Ops.Gather(t[0], 1, IntTensor.From([[2, 0, 2], [1, 1, 0]])), [Input([2, 3], 82)]);
        Check(t => Ops.IndexSelect(t[0], 1, IntTensor.From([1, 1, 0])), [Input([2, 3, 2], 83)]);
    }

    [Fact]
    public void Integer_index_errors_name_the_op_the_index_its_position_and_the_size()
    {
        var x = Tensor.Zeros([2, 3]);
        var gather = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather(x, 1, IntTensor.From([[0, 1], [3, 0]])));
        Assert.StartsWith("Gather: index 3 at position [1, 0] is out of range for axis 1 of size 3 (input shape [2, 3]).", gather.Message);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => Ops.Gather(x, 1, IntTensor.From([0]))).Message);
        var select = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.IndexSelect(x, 0, IntTensor.From([0, -1])));
        Assert.StartsWith("IndexSelect: index -1 at position 1 is out of range for axis 0 of size 2 (shape [2, 3]).", select.Message);
        Assert.Contains("vector or a scalar", Assert.Throws<ArgumentException>(() => Ops.IndexSelect(x, 0, IntTensor.Zeros([1, 1]))).Message);
        var oneHot = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.OneHot(IntTensor.From([[0], [4]]), 4));
        Assert.StartsWith("OneHot: class index 4 at position [1, 0] is out of range for 4 classes.", oneHot.Message);
    }

    [Fact]
    public void CrossEntropy_and_NllLoss_with_integer_classes_equal_the_float_target_versions()
    {
        var logits = Tensor.Uniform([4, 5], -2f, 2f, new Generator(90));
        var classes = IntTensor.From([4, 0, 2, 2]);
        var asFloat = classes.ToTensor();
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            Assert.Equal(Losses.CrossEntropy(logits, asFloat, 0f, reduction).ToArray(), Losses.CrossEntropy(logits, classes, 0f, reduction).ToArray());
            Assert.Equal(Losses.CrossEntropy(logits, asFloat, 0.1f, reduction).ToArray(), Losses.CrossEntropy(logits, classes, 0.1f, reduction).ToArray());
            var logP = Ops.LogSoftmax(logits, 1);
            Assert.Equal(Losses.NllLoss(logP, asFloat, reduction).ToArray(), Losses.NllLoss(logP, classes, reduction).ToArray());
        }
    }

    [Fact]
    public void CrossEntropy_hand_computed()
    {
        // Row 0: logits (0, 0), class 1: −log(1/2) = ln 2. Row 1: logits (ln 3, 0), class 0: −log(3/4) = ln 4/3.
        var logits = Tensor.From([[0f, 0f], [MathF.Log(3f), 0f]], requiresGrad: true);
        var loss = Losses.CrossEntropy(logits, IntTensor.From([1, 0]));
        Assert.Equal((MathF.Log(2f) + MathF.Log(4f / 3f)) / 2, loss.Item(), 1e-6f);
        // ∂z = (softmax(z) − onehot) / N: row 0 (½, −½)/2, row 1 (¾ − 1, ¼)/2.
        loss.Backward();
        var expected = new[] { 0.25f, -0.25f, -0.125f, 0.125f };
        var got = logits.Grad!.ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], got[i], 1e-6f);
        }
    }

    [Fact]
    public void CrossEntropy_takes_the_class_axis_second_for_positions_as_pytorch()
    {
        // logits [N, C, d] with classes [N, d] is the [N·d, C] problem with the class axis moved last.
        var logits = Tensor.Uniform([2, 4, 3], -2f, 2f, new Generator(91));
        var classes = IntTensor.From([[3, 0, 1], [2, 2, 0]]);
        var flat = Ops.Reshape(Ops.Permute(logits, [0, 2, 1]), [6, 4]);
        var flatClasses = classes.Reshape(6);
        Assert.Equal(Losses.CrossEntropy(flat, flatClasses).Item(), Losses.CrossEntropy(logits, classes).Item(), 1e-6f);
        Assert.Equal(Losses.CrossEntropy(flat, flatClasses, 0.2f).Item(), Losses.CrossEntropy(logits, classes, 0.2f).Item(), 1e-6f);
        var perPosition = Losses.CrossEntropy(logits, classes, reduction: Reduction.None);
        Assert.Equal([2, 3], perPosition.Shape.ToArray());
        var expected = Losses.CrossEntropy(flat, flatClasses, reduction: Reduction.None).ToArray();
        var got = perPosition.ToArray();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], got[i], 1e-6f);
        }

        Check(t => Ops.Reshape(Losses.CrossEntropy(t[0], classes, 0.1f), [1]), [Input([2, 4, 3], 92)]);
        Check(t => Losses.NllLoss(t[0], classes, Reduction.None), [Input([2, 4, 3], 93)]);
    }

    [Fact]
    public void Class_index_errors_name_the_loss_the_target_and_its_position()
    {
        var logits = Tensor.Zeros([2, 3]);
        var error = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, IntTensor.From([0, 3])));
        Assert.Equal("CrossEntropy: target 3 at position [1] is not a class index in [0, 3).", error.Message);
        Assert.StartsWith("NllLoss: target -1 at position [0, 1]",
            Assert.Throws<ArgumentException>(() => Losses.NllLoss(Tensor.Zeros([1, 3, 2]), IntTensor.From([[0, -1]]))).Message);
        Assert.Contains("got [2, 3] and [3]", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, IntTensor.From([0, 1, 2]))).Message);
        Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(Tensor.Zeros([2, 3, 4]), IntTensor.From([0, 1])));
        Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, IntTensor.From([0, 1]), labelSmoothing: 2f));
    }

    [Fact]
    public void ScatterAdd_kernel_matches_a_loop_and_adds_repeated_rows()
    {
        for (int width = 0; width <= 9; width++)
        {
            var gen = new Generator((ulong)width + 100);
            var source = Tensor.Uniform([6, width], -1f, 1f, gen).ToArray();
            int[] rows = [3, 0, 3, 1, 3, 4];
            var destination = Tensor.Uniform([5, width], -1f, 1f, gen).ToArray();
            var expected = (float[])destination.Clone();
            for (int k = 0; k < rows.Length; k++)
            {
                for (int j = 0; j < width; j++)
                {
                    expected[rows[k] * width + j] += source[k * width + j];
                }
            }
            RowGather.ScatterAdd(source, width, rows, destination);
            Assert.Equal(expected, destination);
        }
        Assert.Throws<ArgumentException>(() => RowGather.ScatterAdd(new float[4], 2, [2], new float[4]));
        Assert.Throws<ArgumentException>(() => RowGather.ScatterAdd(new float[3], 2, [0, 1], new float[4]));
    }
}
