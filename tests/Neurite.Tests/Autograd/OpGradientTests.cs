using Neurite.Autograd;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Autograd;

/// <summary>A finite-difference gradient check for every differentiable op, over shapes that broadcast.</summary>
public class OpGradientTests
{
    public static TheoryData<int[], int[]> BroadcastPairs => new()
    {
        { [3], [3] },
        { [2, 3], [2, 3] },
        { [2, 3], [3] },
        { [3], [2, 3] },
        { [2, 1, 4], [3, 1] },
        { [4, 1], [1, 5] },
        { [2, 3, 4], [] },
        { [], [2, 3] },
        { [1], [2, 2] },
    };

    [Theory]
    [MemberData(nameof(BroadcastPairs))]
    public void Add_Sub_Mul_are_differentiable_under_broadcasting(int[] a, int[] b)
    {
        Check(x => Ops.Add(x[0], x[1]), [Input(a, 1), Input(b, 2)]);
        Check(x => Ops.Sub(x[0], x[1]), [Input(a, 3), Input(b, 4)]);
        Check(x => Ops.Mul(x[0], x[1]), [Input(a, 5), Input(b, 6)]);
    }

    [Theory]
    [MemberData(nameof(BroadcastPairs))]
    public void Div_and_Pow_are_differentiable_under_broadcasting(int[] a, int[] b)
    {
        Check(x => Ops.Div(x[0], x[1]), [Input(a, 7), Input(b, 8, 0.5f, 2f)]);
        Check(x => Ops.Pow(x[0], x[1]), [Input(a, 9, 0.5f, 2f), Input(b, 10, -1.5f, 2f)]);
    }

    [Theory]
    [MemberData(nameof(BroadcastPairs))]
    public void Maximum_Minimum_and_Where_are_differentiable_under_broadcasting(int[] a, int[] b)
    {
        // a on a grid of step 0.25 and b on the grid shifted by 0.125: the finite-difference step
        // never crosses the kink at a = b.
        Check(x => Ops.Maximum(x[0], x[1]), [Distinct(a, 11), Shifted(Distinct(b, 12), 0.125f)]);
        Check(x => Ops.Minimum(x[0], x[1]), [Distinct(a, 13), Shifted(Distinct(b, 14), 0.125f)]);
        var condition = Tensor.Bernoulli(Shapes.Broadcast(a, b, "test"), 0.5f, new Generator(15));
        Check(x => Ops.Where(condition, x[0], x[1]), [Input(a, 16), Input(b, 17)]);
    }

    private static Tensor Shifted(Tensor t, float offset)
    {
        var data = t.Data;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] += offset;
        }
        return t;
    }

    [Fact]
    public void Unary_ops_are_differentiable()
    {
        int[] shape = [3, 4];
        Check(x => Ops.Neg(x[0]), [Input(shape, 20)]);
        Check(x => Ops.Exp(x[0]), [Input(shape, 21)]);
        Check(x => Ops.Sin(x[0]), [Input(shape, 22)]);
        Check(x => Ops.Cos(x[0]), [Input(shape, 23)]);
        Check(x => Ops.Log(x[0]), [Input(shape, 22, 0.5f, 3f)]);
        Check(x => Ops.Sqrt(x[0]), [Input(shape, 23, 0.5f, 3f)]);
        Check(x => Ops.Abs(x[0]), [AwayFromZero(shape, 24)]);
        Check(x => Ops.Pow(x[0], 3f), [Input(shape, 25)]);
        Check(x => Ops.Pow(x[0], -0.5f), [Input(shape, 26, 0.5f, 3f)]);
        Check(x => Ops.Clamp(x[0], -0.55f, 0.65f), [AwayFromZero(shape, 27)]);
        Check(x => Ops.Clamp(x[0], min: 0.05f), [AwayFromZero(shape, 28)]);
        Check(x => Ops.Clamp(x[0], max: 0.05f), [AwayFromZero(shape, 28)]);
    }

    [Fact]
    public void Activations_are_differentiable()
    {
        int[] shape = [4, 5];
        Check(x => Ops.Relu(x[0]), [AwayFromZero(shape, 30)]);
        Check(x => Ops.Sigmoid(x[0]), [Input(shape, 31)]);
        Check(x => Ops.Tanh(x[0]), [Input(shape, 32)]);
        foreach (int axis in new[] { 0, 1, -1 })
        {
            Check(x => Ops.Softmax(x[0], axis), [Input(shape, 33)]);
            Check(x => Ops.LogSoftmax(x[0], axis), [Input(shape, 34)]);
        }
        Check(x => Ops.Softmax(x[0], 1), [Input([2, 3, 4], 35)]);
        Check(x => Ops.LogSoftmax(x[0], 1), [Input([2, 3, 4], 36)]);
    }

    public static TheoryData<int[], int[], bool> Reductions => new()
    {
        { [5], [], false },
        { [2, 3, 4], [], false },
        { [2, 3, 4], [0], false },
        { [2, 3, 4], [1], true },
        { [2, 3, 4], [-1], false },
        { [2, 3, 4], [0, 2], true },
        { [2, 3, 4], [0, 2], false },
        { [2, 3, 4], [1, 2], false },
        { [2, 3, 4, 2], [0, 1, 3], true },
    };

    [Theory]
    [MemberData(nameof(Reductions))]
    public void Reductions_are_differentiable(int[] shape, int[] axes, bool keepDims)
    {
        Check(x => Ops.Sum(x[0], axes, keepDims), [Input(shape, 40)]);
        Check(x => Ops.Mean(x[0], axes, keepDims), [Input(shape, 41)]);
        Check(x => Ops.Max(x[0], axes, keepDims), [Distinct(shape, 42)]);
        Check(x => Ops.Min(x[0], axes, keepDims), [Distinct(shape, 43)]);
        Check(x => Ops.Variance(x[0], axes, 1, keepDims), [Input(shape, 44)]);
        Check(x => Ops.Variance(x[0], axes, 0, keepDims), [Input(shape, 45)]);
    }

    [Fact]
    public void MatMul_is_differentiable_in_every_form()
    {
        Check(x => Ops.MatMul(x[0], x[1]), [Input([3, 4], 50), Input([4, 5], 51)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([2, 3, 4], 52), Input([4, 2], 53)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([2, 3, 4], 54), Input([2, 4, 2], 55)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([2, 1, 3, 4], 56), Input([3, 4, 2], 57)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([3, 4], 58), Input([2, 4, 5], 59)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([4], 60), Input([4, 3], 61)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([3, 4], 62), Input([4], 63)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([4], 64), Input([4], 65)]);
        Check(x => Ops.MatMul(x[0], x[1]), [Input([2, 3, 4], 66), Input([4], 67)]);
    }

    [Fact]
    public void Linear_is_differentiable_with_and_without_bias()
    {
        Check(x => Ops.Linear(x[0], x[1], x[2]), [Input([5, 3], 70), Input([4, 3], 71), Input([4], 72)]);
        Check(x => Ops.Linear(x[0], x[1]), [Input([2, 5, 3], 73), Input([4, 3], 74)]);
        Check(x => Ops.Linear(x[0], x[1], x[2]), [Input([3], 75), Input([2, 3], 76), Input([2], 77)]);
    }

    [Fact]
    public void Shape_ops_are_differentiable()
    {
        Check(x => Ops.Reshape(x[0], [4, -1]), [Input([2, 3, 2], 80)]);
        Check(x => Ops.Flatten(x[0], 1), [Input([2, 3, 2], 81)]);
        Check(x => Ops.Unsqueeze(x[0], 1), [Input([2, 3], 82)]);
        Check(x => Ops.Squeeze(x[0], 1), [Input([2, 1, 3], 83)]);
        Check(x => Ops.Permute(x[0], [2, 0, 1]), [Input([2, 3, 4], 84)]);
        Check(x => Ops.Transpose(x[0]), [Input([3, 4], 85)]);
        Check(x => Ops.Transpose(x[0], 0, 2), [Input([2, 3, 4], 86)]);
        Check(x => Ops.BroadcastTo(x[0], [2, 3, 4]), [Input([3, 1], 87)]);
        Check(x => Ops.SumTo(x[0], [3, 1]), [Input([2, 3, 4], 88)]);
    }

    [Fact]
    public void Slicing_joining_and_indexing_are_differentiable()
    {
        Check(x => Ops.Slice(x[0], 1, 1, 4), [Input([2, 5, 3], 90)]);
        Check(x => Ops.Slice(x[0], -1, 0, 5, 2), [Input([2, 5], 91)]);
        Check(x => Ops.Slice(x[0], 0, -2, 4), [Input([4, 3], 92)]);
        Check(x => Ops.Concat([x[0], x[1], x[2]], 1), [Input([2, 1, 3], 93), Input([2, 2, 3], 94), Input([2, 3, 3], 95)]);
        Check(x => Ops.Stack([x[0], x[1]], 1), [Input([2, 3], 96), Input([2, 3], 97)]);
        Check(x => Ops.IndexSelect(x[0], 0, [2, 0, 2, 1]), [Input([3, 4], 98)]);
        Check(x => Ops.IndexSelect(x[0], 1, [1, 1]), [Input([2, 3, 2], 99)]);
        var index = Tensor.From([[0f, 2f, 1f], [2f, 2f, 0f]]);
        Check(x => Ops.Gather(x[0], 1, index), [Input([2, 3], 100)]);
        Check(x => Ops.Gather(x[0], 0, Tensor.From([[1f, 0f, 1f]])), [Input([2, 3], 101)]);
    }

    [Fact]
    public void A_composed_expression_through_every_family_is_differentiable()
    {
        // A small network with a softmax cross-entropy, to check that ops compose.
        var target = Ops.OneHot(Tensor.From([2f, 0f, 1f, 2f]), 3);
        Check(x =>
        {
            var hidden = Ops.Tanh(Ops.Linear(x[0], x[1], x[2]));
            var logits = Ops.MatMul(hidden, x[3]);
            return Ops.Neg(Ops.Mean(Ops.Sum(Ops.Mul(Ops.LogSoftmax(logits), target), 1)));
        }, [Input([4, 3], 110), Input([5, 3], 111), Input([5], 112), Input([5, 3], 113)]);
    }
}
