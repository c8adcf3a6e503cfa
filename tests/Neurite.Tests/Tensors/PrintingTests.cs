using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Tensors;

/// <summary>
/// Printing follows PyTorch's str(tensor); each expected string is what torch 1.13 printed for the
/// same tensor (grad_fn names aside: PyTorch appends a version digit, MulBackward0).
/// </summary>
public class PrintingTests
{
    [Fact]
    public void Whole_numbers_print_with_a_trailing_point()
    {
        Assert.Equal("tensor([1., 2., 3.])", Tensor.From([1f, 2f, 3f]).ToString());
        Assert.Equal("tensor([[ 1., -2.],\n        [ 3.,  4.]])", Tensor.From([[1f, -2f], [3f, 4f]]).ToString());
    }

    [Fact]
    public void Fractions_print_with_four_decimals_aligned()
    {
        Assert.Equal("tensor([ 0.5000, -1.2500, 10.0000])", Tensor.From([0.5f, -1.25f, 10f]).ToString());
        Assert.Equal("tensor(3.5000)", Tensor.Scalar(3.5f).ToString());
    }

    [Fact]
    public void Autograd_state_is_shown()
    {
        var x = Tensor.From([1f, 2f], requiresGrad: true);
        Assert.Equal("tensor([1., 2.], requires_grad=True)", x.ToString());
        Assert.Equal("tensor([2., 4.], grad_fn=<MulBackward>)", Ops.Mul(x, 2f).ToString());
    }

    [Fact]
    public void Three_dimensional_tensors_separate_blocks_with_a_blank_line()
    {
        var expected = "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])";
        Assert.Equal(expected, Tensor.Arange(8).Reshape(2, 2, 2).ToString());
    }

    [Fact]
    public void Large_tensors_are_summarized()
    {
        // Magnitudes spanning more than 10³ switch to scientific notation, and rows wrap at 80 columns.
        Assert.Equal(
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
            Tensor.Arange(2000).ToString());
        Assert.Equal(
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n" +
            "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n" +
            "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n" +
            "        ...,\n" +
            "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n         1.8990e+03],\n" +
            "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n         1.9490e+03],\n" +
            "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])",
            Tensor.Arange(2000).Reshape(40, 50).ToString());
    }

    [Fact]
    public void Special_values_and_wide_ranges_print_readably()
    {
        Assert.Equal("tensor([nan, inf, 1.])", Tensor.From([float.NaN, float.PositiveInfinity, 1f]).ToString());
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.From([1e-5f, 1f]).ToString());
    }

    [Fact]
    public void Mixed_signs_zeros_and_long_rows_match_pytorch()
    {
        Assert.Equal("tensor([[0., 0.],\n        [0., 0.]])", Tensor.Zeros([2, 2]).ToString());
        Assert.Equal("tensor([[ -0.1235, 100.5000],\n        [  3.1416,  -2.0000]])",
            Tensor.From([[-0.123456f, 100.5f], [3.14159f, -2f]]).ToString());
        Assert.Equal("tensor(-7.)", Tensor.Scalar(-7f).ToString());
        Assert.Equal("tensor([1.0000e+09, 2.0000e+00])", Tensor.From([1e9f, 2f]).ToString());
        Assert.Equal(
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n" +
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n" +
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n" +
            "        3.8571, 4.0000, 4.1429])",
            (Tensor.Arange(30) / 7f).ToString());
    }
}
