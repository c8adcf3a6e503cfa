using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Autograd;

/// <summary>Finite-difference gradient checks of the convolutions and pools, and their one-line errors for bad input.</summary>
public class ConvolutionGradientTests
{
    [Fact]
    public void Conv1d_is_differentiable()
    {
        Check(t => Ops.Conv1d(t[0], t[1], t[2], stride: 2, padding: 1, dilation: 2, groups: 2),
            [Input([2, 4, 9], 1), Input([6, 2, 3], 2), Input([6], 3)]);
        Check(t => Ops.Conv1d(t[0], t[1], null, 1, Conv2dGeometry.SamePadding(4)), [Input([1, 2, 7], 4), Input([3, 2, 4], 5)]);
    }

    [Fact]
    public void Conv2d_is_differentiable()
    {
        Check(t => Ops.Conv2d(t[0], t[1], t[2], Conv2dGeometry.Symmetric((2, 1), (1, 0), (1, 2))),
            [Input([2, 3, 6, 7], 6), Input([4, 3, 3, 2], 7), Input([4], 8)]);
        Check(t => Ops.Conv2d(t[0], t[1], t[2], Conv2dGeometry.Same(4, 3, groups: 2)),
            [Input([1, 4, 5, 5], 9), Input([2, 2, 4, 3], 10), Input([2], 11)]);
        Check(t => Ops.Conv2d(t[0], t[1]), [Input([2, 3, 3, 4], 12), Input([5, 3, 1, 1], 13)]);
    }

    [Fact]
    public void ConvTranspose2d_is_differentiable()
    {
        Check(t => Ops.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1),
            [Input([2, 3, 3, 4], 14), Input([3, 2, 3, 3], 15), Input([2], 16)]);
        Check(t => Ops.ConvTranspose2d(t[0], t[1], null, ConvTranspose2dGeometry.Symmetric((1, 2), (0, 1), (0, 1), (2, 1), 2)),
            [Input([1, 4, 3, 3], 17), Input([4, 1, 2, 3], 18)]);
    }

    [Fact]
    public void Pools_are_differentiable()
    {
        // Distinct values 0.25 apart: a finite-difference step never changes which element is the maximum.
        Check(t => Ops.MaxPool2d(t[0], 3, 2, 1), [Distinct([2, 2, 7, 6], 19)]);
        Check(t => Ops.MaxPool2d(t[0], Pool2dGeometry.Of((2, 3), (1, 2), (1, 1))), [Distinct([1, 3, 5, 6], 20)]);
        Check(t => Ops.AvgPool2d(t[0], 3, 2, 1), [Input([2, 2, 7, 6], 21)]);
        Check(t => Ops.AdaptiveAvgPool2d(t[0], 3, 2), [Input([2, 2, 7, 5], 22)]);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "conv2d on a 1-D input", "Conv2d: input must be [N, C, H, W] or [C, H, W]; got [5]." },
        { "kernel larger than the padded input", "Conv2d: the kernel (dilated extent 7 along spatial axis 0) does not fit the padded input (5) (input [1, 3, 5, 5], weight [4, 3, 7, 7], stride (1, 1), padding (0, 0), dilation (1, 1), groups 1)." },
        { "stride 0", "Conv2d: stride, dilation and groups must be at least 1 (input [1, 3, 5, 5], weight [4, 3, 3, 3], stride (0, 0), padding (0, 0), dilation (1, 1), groups 1)." },
        { "negative padding", "Conv2d: padding must not be negative (input [1, 3, 5, 5], weight [4, 3, 3, 3], stride (1, 1), padding (-1, -1), dilation (1, 1), groups 1)." },
        { "groups not dividing the channels", "Conv2d: groups 2 must divide both the input's 3 channels and the weight's 4 output channels (input [1, 3, 5, 5], weight [4, 3, 3, 3], stride (1, 1), padding (0, 0), dilation (1, 1), groups 2)." },
        { "weight channels", "Conv2d: the weight takes 2·groups = 2 input channels, but the input has 3 (input [1, 3, 5, 5], weight [4, 2, 3, 3], stride (1, 1), padding (0, 0), dilation (1, 1), groups 1)." },
        { "bias", "Conv2d: bias [3] does not fit 4 output channels (expected [4]; input [1, 3, 5, 5], weight [4, 3, 3, 3], stride (1, 1), padding (0, 0), dilation (1, 1), groups 1)." },
        { "conv1d on a 4-D input", "Conv1d: input must be [N, C, L] or [C, L]; got [1, 3, 5, 5]." },
        { "conv1d kernel", "Conv1d: the kernel (dilated extent 9 along spatial axis 0) does not fit the padded input (8) (input [1, 3, 6], weight [2, 3, 5], stride 1, padding 1, dilation 2, groups 1)." },
        { "output_padding not below stride", "ConvTranspose2d: output_padding must be smaller than the stride or the dilation (input [1, 3, 5, 5], weight [3, 2, 3, 3], stride (2, 2), padding (0, 0), output_padding (2, 2), dilation (1, 1), groups 1)." },
        { "transpose weight channels", "ConvTranspose2d: weight [in, out/groups, kh, kw] takes 2 input channels, but the input has 3 (input [1, 3, 5, 5], weight [2, 2, 3, 3], stride (1, 1), padding (0, 0), output_padding (0, 0), dilation (1, 1), groups 1)." },
        { "pool padding over half the kernel", "MaxPool2d: padding must be between 0 and half the kernel size (input [1, 3, 5, 5], kernel (3, 3), stride (3, 3), padding (2, 2))." },
        { "pool window larger than the input", "AvgPool2d: the window does not fit the padded input (input [1, 3, 5, 5], kernel (7, 7), stride (7, 7), padding (0, 0))." },
        { "pool stride 0", "MaxPool2d: kernel size and stride must be at least 1 (input [1, 3, 5, 5], kernel (2, 2), stride (0, 0), padding (0, 0))." },
        { "adaptive output 0", "AdaptiveAvgPool2d: cannot pool input [1, 3, 5, 5] to 0×2; both need sizes of at least 1." },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_gets_a_one_line_error_with_the_shapes(string what, string message)
    {
        var x = Tensor.Zeros([1, 3, 5, 5]);
        Action call = what switch
        {
            "conv2d on a 1-D input" => () => Ops.Conv2d(Tensor.Zeros([5]), Tensor.Zeros([4, 3, 3, 3])),
            "kernel larger than the padded input" => () => Ops.Conv2d(x, Tensor.Zeros([4, 3, 7, 7])),
            "stride 0" => () => Ops.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), null, stride: 0),
            "negative padding" => () => Ops.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), null, padding: -1),
            "groups not dividing the channels" => () => Ops.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), null, groups: 2),
            "weight channels" => () => Ops.Conv2d(x, Tensor.Zeros([4, 2, 3, 3])),
            "bias" => () => Ops.Conv2d(x, Tensor.Zeros([4, 3, 3, 3]), Tensor.Zeros([3])),
            "conv1d on a 4-D input" => () => Ops.Conv1d(x, Tensor.Zeros([4, 3, 3]), null),
            "conv1d kernel" => () => Ops.Conv1d(Tensor.Zeros([1, 3, 6]), Tensor.Zeros([2, 3, 5]), null, padding: 1, dilation: 2),
            "output_padding not below stride" => () => Ops.ConvTranspose2d(x, Tensor.Zeros([3, 2, 3, 3]), null, stride: 2, outputPadding: 2),
            "transpose weight channels" => () => Ops.ConvTranspose2d(x, Tensor.Zeros([2, 2, 3, 3])),
            "pool padding over half the kernel" => () => Ops.MaxPool2d(x, 3, padding: 2),
            "pool window larger than the input" => () => Ops.AvgPool2d(x, 7),
            "pool stride 0" => () => Ops.MaxPool2d(x, 2, stride: 0),
            _ => () => Ops.AdaptiveAvgPool2d(x, 0, 2),
        };
        var e = Assert.Throws<ArgumentException>(call);
        Assert.Equal(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
