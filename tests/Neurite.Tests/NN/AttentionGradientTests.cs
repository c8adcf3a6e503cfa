using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Finite-difference gradient checks for the attention ops, both masks, dropout, and the attention layers.</summary>
public sealed class AttentionGradientTests
{
    /// <summary>Sample 0 keeps 3 of its 4 keys; sample 1 keeps its keys 0 and 2.</summary>
    private static Tensor Padding() => Tensor.From([[0f, 0f, 0f, 1f], [0f, 1f, 0f, 1f]]);

    public static TheoryData<bool, bool> Masks() => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Masks))]
    public void Attention_is_differentiable_in_query_key_and_value(bool causal, bool padding)
    {
        Tensor[] inputs = [Input([2, 4, 6], 1), Input([2, 4, 6], 2), Input([2, 4, 6], 3)];
        Check(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], heads: 2, causal, padding ? Padding() : null), inputs);
    }

    [Theory]
    [MemberData(nameof(Masks))]
    public void Packed_self_attention_is_differentiable(bool causal, bool padding)
    {
        Check(t => Ops.SelfAttention(t[0], heads: 3, causal, padding ? Padding() : null), [Input([2, 4, 18], 4)]);
    }

    [Fact]
    public void Queries_over_more_keys_are_differentiable()
    {
        Tensor[] inputs = [Input([2, 3, 4], 5), Input([2, 4, 4], 6), Input([2, 4, 4], 7)];
        Check(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], heads: 1, causal: true, Padding()), inputs);
    }

    [Fact]
    public void A_fully_masked_query_passes_no_gradient_and_the_rest_stays_differentiable()
    {
        // Sample 1 has no key left: its outputs are 0 and its inputs get gradient 0, without NaN.
        var mask = Tensor.From([[0f, 0f, 1f], [1f, 1f, 1f]]);
        Tensor[] inputs = [Input([2, 3, 4], 8), Input([2, 3, 4], 9), Input([2, 3, 4], 10)];
        Check(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], heads: 2, keyPaddingMask: mask), inputs);
        foreach (var input in inputs)
        {
            Assert.All(input.Grad!.ToArray()[12..], g => Assert.Equal(0f, g));
            Assert.Contains(input.Grad!.ToArray()[..12], g => g != 0);
        }
    }

    [Fact]
    public void Dropout_on_the_weights_is_differentiable_with_its_mask_fixed()
    {
        // A new generator of the same seed per call draws the same mask each time.
        Tensor[] inputs = [Input([2, 5, 4], 11), Input([2, 5, 4], 12), Input([2, 5, 4], 13)];
        Check(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], heads: 2, causal: true, dropout: 0.3f, rng: new Generator(14)), inputs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MultiheadAttention_is_differentiable_in_its_input_and_every_parameter(bool causal)
    {
        var mha = new MultiheadAttention(6, 2, causal: causal, rng: new Generator(15));
        Randomize(mha);
        Tensor[] inputs = [Input([2, 4, 6], 16, -1f, 1f), .. mha.Parameters()];
        Check(t => mha.Forward(t[0], Padding()), inputs);
    }

    [Fact]
    public void MultiheadAttention_over_other_keys_is_differentiable()
    {
        var mha = new MultiheadAttention(4, 2, rng: new Generator(17));
        Randomize(mha);
        Tensor[] inputs = [Input([2, 3, 4], 18, -1f, 1f), Input([2, 4, 4], 19, -1f, 1f), Input([2, 4, 4], 20, -1f, 1f), .. mha.Parameters()];
        Check(t => mha.Forward(t[0], t[1], t[2], Padding()), inputs);
    }

    public static TheoryData<bool, string, bool> EncoderVariants() => new()
    {
        { false, "relu", false }, { true, "gelu", false }, { false, "gelu", true }, { true, "relu", true },
    };

    [Theory]
    [MemberData(nameof(EncoderVariants))]
    public void TransformerEncoderLayer_is_differentiable_in_its_input_and_every_parameter(bool normFirst, string activation, bool causal)
    {
        var layer = new TransformerEncoderLayer(4, 2, 6, dropout: 0f, activation, normFirst: normFirst, causal: causal, rng: new Generator(21));
        Randomize(layer);
        Tensor[] inputs = [Input([2, 4, 4], 22, -1f, 1f), .. layer.Parameters()];
        // A step of 1e-2 in linear1.bias moves pre-activations across relu's kink; 1e-3 does not here.
        Check(t => layer.Forward(t[0], Padding()), inputs, step: 1e-3);
    }

    [Fact]
    public void Positional_encodings_are_differentiable()
    {
        Check(t => new SinusoidalPositionalEncoding(4, 6).Call(t[0]), [Input([2, 3, 4], 23)]);
        var learned = new LearnedPositionalEncoding(4, 6, new Generator(24));
        Check(t => learned.Call(t[0]), [Input([2, 3, 4], 25), learned.Weight]);
    }

    /// <summary>Random biases and norm weights, which initialization sets to 0 and 1, so that a gradient through them is tested on general values.</summary>
    private static void Randomize(Module module)
    {
        var rng = new Generator(99);
        foreach (var (name, parameter) in module.NamedParameters())
        {
            if (name.EndsWith("bias", StringComparison.Ordinal) || name.StartsWith("norm", StringComparison.Ordinal))
            {
                rng.FillUniform(parameter.Data, -0.5f, 0.5f);
            }
        }
    }
}
