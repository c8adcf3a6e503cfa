using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Channel dropout: whole channels zeroed, survivors scaled, identity in evaluation, reproducible from its generator.</summary>
public class Dropout2dTests
{
    [Theory]
    [InlineData(new[] { 8, 50, 3, 5 })]
    [InlineData(new[] { 8, 50, 7 })]
    public void Each_channel_is_kept_or_dropped_as_a_whole_and_survivors_are_scaled(int[] shape)
    {
        var dropout = new Dropout2d(0.25f, new Generator(3));
        var x = Input(shape, 4);
        var y = dropout.Call(x);
        int channels = shape[0] * shape[1], size = x.Count / channels;
        int dropped = 0;
        for (int k = 0; k < channels; k++)
        {
            var input = x.Data.Slice(k * size, size).ToArray();
            var output = y.Data.Slice(k * size, size).ToArray();
            if (output.All(v => v == 0))
            {
                dropped++;
                continue;
            }
            // Kept: every value scaled by 1/(1 − 0.25) = 4/3 (no value of the input is 0).
            Assert.Equal(input.Select(v => v * (1f / 0.75f)), output);
        }
        // 400 channels, p = 0.25: 100 expected, σ = √(400·0.25·0.75) ≈ 8.7; 5σ either side.
        Assert.InRange(dropped, 100 - 44, 100 + 44);
    }

    [Fact]
    public void Evaluation_mode_and_p_zero_are_the_identity()
    {
        var x = Input([2, 3, 4, 4], 5);
        var dropout = new Dropout2d(0.5f, new Generator(1));
        dropout.Eval();
        Assert.Same(x, dropout.Call(x));
        Assert.Same(x, new Dropout2d(0f, new Generator(1)).Call(x));
    }

    [Fact]
    public void The_masks_follow_the_generator_and_its_seed()
    {
        var x = Input([4, 6, 2, 2], 6);
        var a = new Dropout2d(0.5f, new Generator(9));
        var b = new Dropout2d(0.5f, new Generator(9));
        Assert.Equal(a.Call(x).ToArray(), b.Call(x).ToArray());
        var first = a.Call(x).ToArray();
        Assert.NotEqual(first, a.Call(x).ToArray()); // the next draw
        a.Generators()[0].Reseed(9);
        a.Call(x);
        Assert.Equal(first, a.Call(x).ToArray()); // reseeded: the same sequence again
    }

    [Fact]
    public void Passes_a_finite_difference_check_with_a_fixed_mask()
    {
        // A fresh generator with the same seed per call keeps the mask fixed while the check perturbs the input.
        Check(x => new Dropout2d(0.4f, new Generator(7)).Call(x[0]), [Input([3, 4, 2, 3], 8)]);
        Check(x => new Dropout2d(0.4f, new Generator(7)).Call(x[0]), [Input([3, 4, 5], 9)]);
        // The gradient is the scaled mask, whole channels of 0 or 1/(1 − p).
        var input = Tensor.Ones([2, 3, 2, 2], requiresGrad: true);
        var y = new Dropout2d(0.5f, new Generator(2)).Call(input);
        y.Sum().Backward();
        Assert.Equal(y.ToArray(), input.Grad!.ToArray());
        Assert.Contains(0f, y.ToArray());
        Assert.Contains(2f, y.ToArray());
    }

    [Fact]
    public void Bad_probabilities_and_inputs_are_refused()
    {
        Assert.Equal("Dropout2d: p must be in [0, 1); got 1. (Parameter 'p')", Assert.Throws<ArgumentException>(() => new Dropout2d(1f, new Generator(0))).Message);
        Assert.Throws<ArgumentException>(() => new Dropout2d(-0.1f, new Generator(0)));
        Assert.Equal("Dropout2d(p=0.5): expected input [N, C, H, W] or [N, C, L]; got [4, 5].",
            Assert.Throws<ArgumentException>(() => new Dropout2d(0.5f, new Generator(0)).Call(Tensor.Ones([4, 5]))).Message);
    }

    [Fact]
    public void The_dropout2d_layer_parses_builds_and_draws_from_the_models_seed()
    {
        var spec = ModelSpec.Parse("""{"input": [3, 4, 4], "layers": [{"type": "dropout2d", "p": 0.3}, {"type": "flatten"}], "seed": 5}""");
        Assert.Equal(new Dropout2dSpec(0.3), spec.Layers[0]);
        Assert.Equal("dropout2d(p=0.3)", spec.Layers[0].Describe());
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        Assert.Equal([3, 4, 4], spec.OutputShapes()[0]);
        var model = spec.Build();
        Assert.Empty(model.StateDict());
        Assert.Single(model.Generators());
        Assert.Equal("Dropout2d(p=0.3)", model.NamedChildren().First().Value.Describe());
        var x = Input([6, 3, 4, 4], 10);
        Assert.Equal(model.Call(x).ToArray(), spec.Build().Call(x).ToArray());
        Assert.Equal(0.5, ((Dropout2dSpec)ModelSpec.Parse("""{"input": [2, 3], "layers": [{"type": "dropout2d"}]}""").Layers[0]).P);

        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [12], "layers": [{"type": "dropout2d"}]}"""));
        Assert.Equal("layers[0]: dropout2d needs channels [C, H, W] or [C, L] per sample, but its input is [12]", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [2, 3], "layers": [{"type": "dropout2d", "p": 1}]}"""));
        Assert.Equal("layers[0].p: expected a number in [0, 1), got 1", e.Message);
    }
}
