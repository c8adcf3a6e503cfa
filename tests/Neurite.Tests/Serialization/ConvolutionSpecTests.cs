using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Serialization;

/// <summary>The convolutional layer types in specs: fields, shapes, multiply–accumulates, round trips, errors, gradients.</summary>
public class ConvolutionSpecTests
{
    private const string LeNet = """
        {"input": [1, 28, 28], "layers": [
          {"type": "conv2d", "out": 6, "kernel": 5, "padding": 2}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
          {"type": "conv2d", "out": 16, "kernel": 5}, {"type": "relu"}, {"type": "avg_pool2d", "kernel": [2, 2], "stride": 2},
          {"type": "flatten"}, {"type": "linear", "out": 120}, {"type": "relu"}, {"type": "linear", "out": 84}, {"type": "relu"},
          {"type": "linear", "out": 10}]}
        """;

    [Fact]
    public void LeNet_has_torchs_shapes_parameter_counts_and_multiply_accumulates()
    {
        var summary = ModelSpec.Parse(LeNet).Summarize();
        var shapes = summary.Layers.Select(l => Shapes.Format([.. l.OutputShape])).ToArray();
        // Output shapes of a whole batch: -1 is the batch axis.
        Assert.Equal(["[-1, 6, 28, 28]", "[-1, 6, 28, 28]", "[-1, 6, 14, 14]", "[-1, 16, 10, 10]", "[-1, 16, 10, 10]", "[-1, 16, 5, 5]", "[-1, 400]",
            "[-1, 120]", "[-1, 120]", "[-1, 84]", "[-1, 84]", "[-1, 10]"], shapes);
        // torch: Conv2d(1, 6, 5) has 6·25 + 6 parameters, Conv2d(6, 16, 5) 16·6·25 + 16.
        Assert.Equal(156, summary.Layers[0].Params);
        Assert.Equal(2416, summary.Layers[3].Params);
        Assert.Equal(61_706, summary.TotalParams);
        // Each output value is a dot product of C/groups·kh·kw terms.
        Assert.Equal(6L * 28 * 28 * 25, summary.Layers[0].MultiplyAccumulates);
        Assert.Equal(16L * 10 * 10 * 6 * 25, summary.Layers[3].MultiplyAccumulates);
    }

    [Theory]
    [InlineData("""{"type": "conv2d", "out": 8, "kernel": [3, 1], "padding": "same", "dilation": 2, "groups": 2}""", "[-1, 8, 7, 9]")]
    [InlineData("""{"type": "conv2d", "out": 4, "kernel": 4, "padding": "same"}""", "[-1, 4, 7, 9]")]
    [InlineData("""{"type": "conv2d", "out": 4, "kernel": 3, "stride": [2, 3], "padding": [1, 0]}""", "[-1, 4, 4, 3]")]
    [InlineData("""{"type": "conv_transpose2d", "out": 3, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}""", "[-1, 3, 14, 18]")]
    [InlineData("""{"type": "conv_transpose2d", "out": 4, "kernel": [2, 4], "stride": [2, 1], "groups": 2}""", "[-1, 4, 14, 12]")]
    // output_padding 2 ≥ stride 1 is allowed below dilation 3: H′ = (7 − 1) + 3·(2 − 1) + 2 + 1 = 12, W′ = 8 + 3 + 2 + 1 = 14.
    [InlineData("""{"type": "conv_transpose2d", "out": 2, "kernel": 2, "output_padding": 2, "dilation": 3}""", "[-1, 2, 12, 14]")]
    [InlineData("""{"type": "max_pool2d", "kernel": 3, "stride": 2, "padding": 1}""", "[-1, 2, 4, 5]")]
    [InlineData("""{"type": "avg_pool2d", "kernel": 2}""", "[-1, 2, 3, 4]")]
    [InlineData("""{"type": "adaptive_avg_pool2d", "out": [3, 2]}""", "[-1, 2, 3, 2]")]
    [InlineData("""{"type": "adaptive_avg_pool2d", "out": 1}""", "[-1, 2, 1, 1]")]
    public void Image_layers_give_torchs_output_shapes_and_write_back_what_they_parsed(string layer, string shape)
    {
        var spec = ModelSpec.Parse($$"""{"input": [2, 7, 9], "layers": [{{layer}}]}""");
        Assert.Equal(shape, Shapes.Format([.. spec.Summarize().Layers[0].OutputShape]));
        var again = ModelSpec.Parse(spec.ToJson());
        Assert.Equal(spec.Layers[0], again.Layers[0]);
        Assert.Equal(spec.ToJson(), again.ToJson());
        // The built module gives the shape the spec promised.
        var y = spec.Build(new Generator(3)).Call(Tensor.Zeros([2, 2, 7, 9]));
        Assert.Equal(shape.Replace("-1", "2", StringComparison.Ordinal), Shapes.Format(y.Shape));
    }

    [Theory]
    [InlineData("""{"type": "conv1d", "out": 4, "kernel": 3, "padding": "same", "dilation": 2}""", "[-1, 4, 10]")]
    [InlineData("""{"type": "conv1d", "out": 6, "kernel": 4, "stride": 3, "padding": 1, "groups": 3, "bias": false}""", "[-1, 6, 3]")]
    public void Conv1d_gives_torchs_output_shapes(string layer, string shape)
    {
        var spec = ModelSpec.Parse($$"""{"input": [3, 10], "layers": [{{layer}}]}""");
        Assert.Equal(shape, Shapes.Format([.. spec.Summarize().Layers[0].OutputShape]));
        Assert.Equal(spec.Layers[0], ModelSpec.Parse(spec.ToJson()).Layers[0]);
        Assert.Equal(shape.Replace("-1", "5", StringComparison.Ordinal), Shapes.Format(spec.Build(new Generator(3)).Call(Tensor.Zeros([5, 3, 10])).Shape));
    }

    [Fact]
    public void State_dicts_have_torchs_names_and_shapes()
    {
        var model = ModelSpec.Parse("""
            {"input": [4, 8, 8], "layers": [{"type": "conv2d", "out": 6, "kernel": [3, 2], "groups": 2},
             {"type": "conv_transpose2d", "out": 4, "kernel": 3, "groups": 2, "bias": false}]}
            """).Build(new Generator(1));
        var state = model.StateDict().ToDictionary(e => e.Key, e => Shapes.Format(e.Value.Shape));
        Assert.Equal(new Dictionary<string, string>
        {
            ["0.weight"] = "[6, 2, 3, 2]",
            ["0.bias"] = "[6]",
            ["1.weight"] = "[6, 2, 3, 3]",
        }, state);
    }

    [Fact]
    public void Default_weights_are_uniform_within_one_over_root_fan_in_as_torchs()
    {
        var conv = new Conv2d(8, 16, 3, rng: new Generator(5));
        float bound = 1f / MathF.Sqrt(8 * 9);
        Assert.All(conv.Weight.ToArray(), w => Assert.InRange(w, -bound, bound));
        Assert.True(conv.Weight.ToArray().Max() > 0.9f * bound && conv.Weight.ToArray().Min() < -0.9f * bound);
        Assert.All(conv.Bias!.ToArray(), b => Assert.InRange(b, -bound, bound));
        // ConvTranspose2d's fan_in is its weight's second axis times the kernel: out/groups·kh·kw.
        var transposed = new ConvTranspose2d(16, 4, (3, 3), Neurite.Kernels.ConvTranspose2dGeometry.Symmetric(), rng: new Generator(5));
        float transposedBound = 1f / MathF.Sqrt(4 * 9);
        Assert.True(transposed.Weight.ToArray().Max() > 0.9f * transposedBound);
        Assert.All(transposed.Weight.ToArray(), w => Assert.InRange(w, -transposedBound, transposedBound));
    }

    public static TheoryData<string, string, string> Errors => new()
    {
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": 5}""", "layers[0].kernel: the kernel [5, 5] (dilation [1, 1]) is larger than the padded input: [1, 4, 4] padded by [0, 0]" },
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": 3, "stride": 0}""", "layers[0].stride: expected a positive integer, got 0" },
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": 3, "padding": -1}""", "layers[0].padding: expected a non-negative integer, got -1" },
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": 3, "padding": [1, -1]}""", "layers[0].padding[1]: expected a non-negative integer, got -1" },
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": 3, "padding": "valid"}""", "layers[0].padding: expected a non-negative integer, [h, w] or \"same\", got \"valid\"" },
        { "[1, 4, 4]", """{"type": "conv2d", "out": 2, "kernel": [3, 3, 3]}""", "layers[0].kernel: expected two sizes [h, w], got 3" },
        { "[3, 4, 4]", """{"type": "conv2d", "out": 4, "kernel": 3, "groups": 2}""", "layers[0].groups: groups 2 must divide both the input channels (3) and out (4)" },
        { "[16]", """{"type": "conv2d", "out": 4, "kernel": 3}""", "layers[0]: conv2d needs images [C, H, W] per sample, but its input is [16]" },
        { "[1, 8, 8]", """{"type": "conv2d", "out": 4, "kernel": 3, "stride": 2, "padding": "same"}""", "layers[0].padding: padding \"same\" needs stride 1, as in PyTorch, but stride is [2, 2]" },
        { "[16]", """{"type": "conv1d", "out": 4, "kernel": 3}""", "layers[0]: conv1d needs sequences of channels [C, L] per sample, but its input is [16]" },
        { "[2, 16]", """{"type": "conv1d", "out": 4, "kernel": 3, "padding": [1, 2]}""", "layers[0].padding: conv1d takes one padding (an integer or \"same\"), got [1, 2]" },
        { "[2, 2]", """{"type": "conv1d", "out": 4, "kernel": 3}""", "layers[0].kernel: the kernel 3 (dilation 1) is longer than the padded input: [2, 2] padded by 0 and 0" },
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "stride": 2, "output_padding": 2}""", "layers[0].output_padding: output_padding [2, 2] must be smaller than the stride [2, 2] or the dilation [1, 1]" },
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 1, "padding": 2}""", "layers[0].padding: the padding [2, 2] leaves no output for the input [2, 4, 4] and kernel [1, 1] (output [0, 0])" },
        { "[2, 4, 4]", """{"type": "max_pool2d", "kernel": 2, "padding": 2}""", "layers[0].padding: padding [2, 2] must be at most half the kernel [2, 2]" },
        { "[2, 4, 4]", """{"type": "avg_pool2d", "kernel": 5}""", "layers[0].kernel: the kernel [5, 5] is larger than the padded input: [2, 4, 4] padded by [0, 0]" },
        { "[2, 4]", """{"type": "max_pool2d", "kernel": 2}""", "layers[0]: max_pool2d needs images [C, H, W] per sample, but its input is [2, 4]" },
        { "[2, 4]", """{"type": "adaptive_avg_pool2d", "out": 2}""", "layers[0]: adaptive_avg_pool2d needs images [C, H, W] per sample, but its input is [2, 4]" },
        { "[2, 4, 4]", """{"type": "adaptive_avg_pool2d"}""", "layers[0].out: missing" },
        // The list of bad input, for every layer type it applies to. A kernel larger than the padded input:
        { "[1, 3, 3]", """{"type": "conv2d", "out": 2, "kernel": 6, "padding": 1}""", "layers[0].kernel: the kernel [6, 6] (dilation [1, 1]) is larger than the padded input: [1, 3, 3] padded by [1, 1]" },
        // A dilated 3×3 kernel spans 3·(3 − 1) + 1 = 7 > 5 pixels.
        { "[1, 5, 5]", """{"type": "conv2d", "out": 2, "kernel": 3, "dilation": 3}""", "layers[0].kernel: the kernel [3, 3] (dilation [3, 3]) is larger than the padded input: [1, 5, 5] padded by [0, 0]" },
        { "[2, 3, 3]", """{"type": "max_pool2d", "kernel": [6, 2], "padding": 1}""", "layers[0].kernel: the kernel [6, 2] is larger than the padded input: [2, 3, 3] padded by [1, 1]" },
        // Stride 0:
        { "[2, 8]", """{"type": "conv1d", "out": 2, "kernel": 3, "stride": 0}""", "layers[0].stride: expected a positive integer, got 0" },
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "stride": [1, 0]}""", "layers[0].stride[1]: expected a positive integer, got 0" },
        { "[2, 4, 4]", """{"type": "max_pool2d", "kernel": 2, "stride": 0}""", "layers[0].stride: expected a positive integer, got 0" },
        { "[2, 4, 4]", """{"type": "avg_pool2d", "kernel": 2, "stride": [0, 2]}""", "layers[0].stride[0]: expected a positive integer, got 0" },
        // Negative padding:
        { "[2, 8]", """{"type": "conv1d", "out": 2, "kernel": 3, "padding": -2}""", "layers[0].padding: expected a non-negative integer, got -2" },
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "padding": -1}""", "layers[0].padding: expected a non-negative integer, got -1" },
        { "[2, 4, 4]", """{"type": "avg_pool2d", "kernel": 2, "padding": [0, -1]}""", "layers[0].padding[1]: expected a non-negative integer, got -1" },
        // Groups that do not divide the channels, in or out:
        { "[4, 4, 4]", """{"type": "conv2d", "out": 3, "kernel": 3, "groups": 2}""", "layers[0].groups: groups 2 must divide both the input channels (4) and out (3)" },
        { "[4, 8]", """{"type": "conv1d", "out": 6, "kernel": 3, "groups": 3}""", "layers[0].groups: groups 3 must divide both the input channels (4) and out (6)" },
        { "[3, 4, 4]", """{"type": "conv_transpose2d", "out": 4, "kernel": 3, "groups": 2}""", "layers[0].groups: groups 2 must divide both the input channels (3) and out (4)" },
        // A convolution on inputs of the wrong rank:
        { "[16]", """{"type": "conv_transpose2d", "out": 4, "kernel": 3}""", "layers[0]: conv_transpose2d needs images [C, H, W] per sample, but its input is [16]" },
        { "[1, 4, 4]", """{"type": "conv1d", "out": 4, "kernel": 3}""", "layers[0]: conv1d needs sequences of channels [C, L] per sample, but its input is [1, 4, 4]" },
        // output_padding ≥ stride (with dilation 1: PyTorch also allows output_padding below the dilation):
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "output_padding": 1}""", "layers[0].output_padding: output_padding [1, 1] must be smaller than the stride [1, 1] or the dilation [1, 1]" },
        { "[2, 4, 4]", """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "stride": [2, 1], "output_padding": [1, 1]}""", "layers[0].output_padding: output_padding [1, 1] must be smaller than the stride [2, 1] or the dilation [1, 1]" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Bad_fields_and_shapes_give_one_line_errors_naming_the_json_path(string input, string layer, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse($$"""{"input": {{input}}, "layers": [{{layer}}]}"""));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"got \"{e.Message}\"");
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Errors_deeper_in_a_model_name_the_layer_and_the_shape_it_receives()
    {
        // conv 5×5 → [6, 24, 24], max pool 2 → [6, 12, 12], so a 13×13 kernel does not fit.
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""
            {"input": [1, 28, 28], "layers": [{"type": "conv2d", "out": 6, "kernel": 5}, {"type": "max_pool2d", "kernel": 2},
             {"type": "conv2d", "out": 4, "kernel": 13}]}
            """));
        Assert.Equal("layers[2].kernel: the kernel [13, 13] (dilation [1, 1]) is larger than the padded input: [6, 12, 12] padded by [0, 0]", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""
            {"input": [3, 8, 8], "nodes": [{"name": "a", "type": "conv2d", "out": 4, "kernel": 3},
             {"name": "b", "type": "conv2d", "out": 4, "kernel": 3, "groups": 3}]}
            """));
        Assert.Equal("nodes[1].groups: groups 3 must divide both the input channels (4) and out (4)", e.Message);
    }

    public static TheoryData<string> Layers => new()
    {
        """{"type": "conv2d", "out": 3, "kernel": [3, 2], "stride": [2, 1], "padding": 1, "groups": 1}""",
        """{"type": "conv2d", "out": 4, "kernel": 2, "padding": "same", "dilation": 2, "groups": 2}""",
        """{"type": "conv_transpose2d", "out": 2, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}""",
        """{"type": "max_pool2d", "kernel": 2, "stride": 1, "padding": 1}""",
        """{"type": "avg_pool2d", "kernel": 3, "stride": 2, "padding": 1}""",
        """{"type": "adaptive_avg_pool2d", "out": [2, 3]}""",
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Each_image_layer_passes_a_finite_difference_gradient_check(string layer)
    {
        var model = ModelSpec.Parse($$"""{"input": [2, 5, 6], "layers": [{{layer}}]}""").Build(new Generator(9));
        // Distinct values keep max pooling's choice away from ties, where the gradient is not defined.
        var x = Tensor.From([.. Enumerable.Range(0, 2 * 2 * 5 * 6).Select(i => (float)(i * 0.37 % 1.7) + 0.01f * i)], [2, 2, 5, 6], requiresGrad: true);
        var parameters = model.Parameters().ToArray();
        Check(inputs => model.Call(inputs[0]), [x, .. parameters]);
    }

    [Fact]
    public void Conv1d_passes_a_finite_difference_gradient_check()
    {
        var model = ModelSpec.Parse("""{"input": [4, 9], "layers": [{"type": "conv1d", "out": 2, "kernel": 3, "padding": "same", "dilation": 2, "groups": 2}]}""")
            .Build(new Generator(2));
        var x = Tensor.Normal([2, 4, 9], 0, 1, new Generator(6), requiresGrad: true);
        Check(inputs => model.Call(inputs[0]), [x, .. model.Parameters()]);
    }
}
