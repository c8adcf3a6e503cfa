using Neurite.Autograd;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Autograd;

/// <summary>Ops.MatMul with transposeA/transposeB: op(a)·op(b) read through GEMM's flags, forward and backward.</summary>
public class MatMulTransposeTests
{
    [Fact]
    public void Hand_computed_products_with_each_flag()
    {
        var a = Tensor.From([[1f, 2f], [3f, 4f]]);
        var b = Tensor.From([[5f, 6f], [7f, 8f]]);
        // a·bᵀ = [[1·5 + 2·6, 1·7 + 2·8], [3·5 + 4·6, 3·7 + 4·8]]
        Assert.Equal([17f, 23f, 39f, 53f], Ops.MatMul(a, b, transposeB: true).ToArray());
        // aᵀ·b = [[1·5 + 3·7, 1·6 + 3·8], [2·5 + 4·7, 2·6 + 4·8]]
        Assert.Equal([26f, 30f, 38f, 44f], Ops.MatMul(a, b, transposeA: true).ToArray());
        // aᵀ·bᵀ = (b·a)ᵀ; b·a = [[23, 34], [31, 46]]
        Assert.Equal([23f, 31f, 34f, 46f], Ops.MatMul(a, b, true, true).ToArray());
    }

    public static TheoryData<int[], int[], bool, bool> Cases => new()
    {
        // 2-D, every flag pair; a stored [k, m] when transposed, b stored [n, k].
        { [3, 4], [5, 4], false, true },
        { [4, 3], [4, 5], true, false },
        { [4, 3], [5, 4], true, true },
        { [3, 4], [4, 5], false, false },
        // Batched a with a matrix b: folded into one GEMM unless a is transposed.
        { [2, 3, 4], [5, 4], false, true },
        { [2, 4, 3], [4, 5], true, false },
        { [2, 4, 3], [5, 4], true, true },
        // Batched both, with broadcasting batch axes.
        { [2, 3, 4], [2, 5, 4], false, true },
        { [2, 1, 4, 3], [3, 4, 5], true, false },
        { [3, 4], [2, 5, 4], false, true },
        { [2, 4, 3], [2, 5, 4], true, true },
        // A vector operand next to a transposed matrix.
        { [4], [5, 4], false, true },
        { [4, 3], [4], true, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flags_equal_multiplying_by_a_transposed_copy(int[] aShape, int[] bShape, bool transposeA, bool transposeB)
    {
        var gen = new Generator(7);
        var a = Tensor.Uniform(aShape, -1f, 1f, gen);
        var b = Tensor.Uniform(bShape, -1f, 1f, gen);
        var expected = Ops.MatMul(transposeA ? Ops.Transpose(a) : a, transposeB ? Ops.Transpose(b) : b);
        var got = Ops.MatMul(a, b, transposeA, transposeB);
        Assert.Equal(expected.Shape.ToArray(), got.Shape.ToArray());
        var e = expected.ToArray();
        var g = got.ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.Equal(e[i], g[i], 1e-5f);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flags_are_differentiable(int[] aShape, int[] bShape, bool transposeA, bool transposeB)
    {
        Check(x => Ops.MatMul(x[0], x[1], transposeA, transposeB), [Input(aShape, 110), Input(bShape, 111)]);
    }

    [Fact]
    public void Attention_scores_need_no_transpose_op_in_the_graph()
    {
        var q = Input([2, 3, 4], 112);
        var k = Input([2, 5, 4], 113);
        var scores = Ops.MatMul(q, k, transposeB: true);
        Assert.Equal([2, 3, 5], scores.Shape.ToArray());
        Assert.Equal("MatMulBackward", scores.GradFn!.ToString());
        Assert.Same(k, scores.GradFn.Inputs[1]);
    }

    [Fact]
    public void Errors_name_the_shapes_and_the_flags()
    {
        var error = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([2, 3]), transposeB: false));
        Assert.Equal("MatMul: shapes [2, 3] and [2, 3] do not align (3 != 2).", error.Message);
        var flagged = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([3, 2]), transposeB: true));
        Assert.Equal("MatMul: shapes [2, 3] and [3, 2] (transposed) do not align (3 != 2).", flagged.Message);
        var vector = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros([3]), Tensor.Zeros([3, 2]), transposeA: true));
        Assert.Equal("MatMul: a transposed operand needs at least two axes; got shapes [3] (transposed) and [3, 2].", vector.Message);
    }
}
