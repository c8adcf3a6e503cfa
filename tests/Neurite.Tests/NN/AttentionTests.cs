using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.NN;

/// <summary>What the masks, dropout and packing of attention do, the layers' initialization, names and errors.</summary>
public sealed class AttentionTests
{
    private static Tensor Random(int[] shape, int seed) => Tensor.Uniform(shape, -1f, 1f, new Generator((ulong)seed));

    [Fact]
    public void Causal_attention_does_not_look_ahead()
    {
        var (q, k, v) = (Random([1, 5, 4], 1), Random([1, 5, 4], 2), Random([1, 5, 4], 3));
        var y = Ops.ScaledDotProductAttention(q, k, v, heads: 2, causal: true);
        // Change keys and values from step 3 on: steps 0 to 2 keep their outputs, step 3 and 4 do not.
        var (k2, v2) = (k.Clone(), v.Clone());
        k2.Data[12..].Fill(5f);
        v2.Data[12..].Fill(-5f);
        var y2 = Ops.ScaledDotProductAttention(q, k2, v2, heads: 2, causal: true);
        Assert.Equal(y.ToArray()[..12], y2.ToArray()[..12]);
        Assert.NotEqual(y.ToArray()[12..], y2.ToArray()[12..]);
        // Step 0 attends to key 0 alone: its output is value 0.
        Assert.Equal(v.ToArray()[..4], y.ToArray()[..4]);
    }

    [Fact]
    public void Padded_keys_are_ignored_and_weights_of_the_rest_sum_to_one()
    {
        var (q, k, v) = (Random([2, 4, 2], 4), Random([2, 4, 2], 5), Random([2, 4, 2], 6));
        var mask = MultiheadAttention.KeyPaddingMask([4, 2], 4);
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f], mask.ToArray());
        var y = Ops.ScaledDotProductAttention(q, k, v, keyPaddingMask: mask);
        var (k2, v2) = (k.Clone(), v.Clone());
        k2.Data[12..].Fill(9f); // sample 1, steps 2 and 3
        v2.Data[12..].Fill(9f);
        Assert.Equal(y.ToArray(), Ops.ScaledDotProductAttention(q, k2, v2, keyPaddingMask: mask).ToArray());
        // With every value 1, an output is the sum of its weights.
        var ones = Ops.ScaledDotProductAttention(q, k, Tensor.Ones([2, 4, 2]), keyPaddingMask: mask);
        Assert.All(ones.ToArray(), sum => Assert.Equal(1f, sum, 5e-7f));
    }

    [Fact]
    public void A_query_with_every_key_masked_gets_zeros_not_nan()
    {
        var (q, k, v) = (Random([2, 3, 4], 7), Random([2, 3, 4], 8), Random([2, 3, 4], 9));
        var y = Ops.ScaledDotProductAttention(q, k, v, heads: 2, keyPaddingMask: Tensor.From([[0f, 1f, 0f], [1f, 1f, 1f]]));
        Assert.All(y.ToArray()[12..], value => Assert.Equal(0f, value));
        Assert.All(y.ToArray()[..12], value => Assert.True(float.IsFinite(value) && value != 0));

        // Left padding with a causal mask: query 0 of sample 1 sees only key 0, which is padding.
        var causal = Ops.ScaledDotProductAttention(q, k, v, causal: true, keyPaddingMask: Tensor.From([[0f, 0f, 0f], [1f, 0f, 0f]]));
        Assert.All(causal.ToArray()[12..16], value => Assert.Equal(0f, value));
        Assert.Equal(v.ToArray()[16..20], causal.ToArray()[16..20]); // query 1 sees key 1 alone

        // The module's output there is out_proj's bias.
        var mha = new MultiheadAttention(4, 2, rng: new Generator(10));
        new Generator(11).FillUniform(mha.OutProj.Bias!.Data, -1f, 1f);
        var out2 = mha.Forward(q, MultiheadAttention.KeyPaddingMask([3, 0], 3));
        Assert.Equal([.. mha.OutProj.Bias.ToArray(), .. mha.OutProj.Bias.ToArray(), .. mha.OutProj.Bias.ToArray()], out2.ToArray()[12..]);
    }

    [Fact]
    public void Packed_self_attention_equals_attention_on_its_three_blocks()
    {
        var qkv = Random([2, 5, 12], 12);
        var blocks = new Tensor[3];
        for (int block = 0; block < 3; block++)
        {
            blocks[block] = Ops.Reshape(Ops.Narrow(Ops.Reshape(qkv, [10, 3, 4]), 1, block, 1), [2, 5, 4]);
        }
        var mask = MultiheadAttention.KeyPaddingMask([5, 3], 5);
        Assert.Equal(
            Ops.ScaledDotProductAttention(blocks[0], blocks[1], blocks[2], heads: 2, causal: true, mask).ToArray(),
            Ops.SelfAttention(qkv, heads: 2, causal: true, mask).ToArray());
    }

    [Fact]
    public void Attention_of_one_query_and_key_is_the_value()
    {
        // softmax over a single score is 1, whatever the scale: y = v.
        var v = Tensor.From([3f, -1f, 2f, 0.5f], [1, 1, 4]);
        Assert.Equal(v.ToArray(), Ops.ScaledDotProductAttention(Random([1, 1, 4], 13), Random([1, 1, 4], 14), v, heads: 2).ToArray());
        // Two keys, d = 1: scores q·k/√1 = [0, ln 3] give weights [1/4, 3/4], so y = 1/4·10 + 3/4·20 = 17.5.
        var y = Ops.ScaledDotProductAttention(Tensor.From([1f], [1, 1, 1]), Tensor.From([0f, MathF.Log(3f)], [1, 2, 1]), Tensor.From([10f, 20f], [1, 2, 1]));
        Assert.Equal(17.5f, y.Item(), 1e-5f);
    }

    [Fact]
    public void Dropout_zeroes_attention_weights_in_training_only()
    {
        var (q, k) = (Random([4, 8, 4], 15), Random([4, 8, 4], 16));
        var ones = Tensor.Ones([4, 8, 4]);
        // With every value 1 an output is the sum of its kept weights, scaled by 1/(1 − p): 1 on average, not always.
        var dropped = Ops.ScaledDotProductAttention(q, k, ones, heads: 2, dropout: 0.5f, rng: new Generator(17)).ToArray();
        Assert.InRange(dropped.Average(), 0.85, 1.15);
        Assert.Contains(dropped, sum => Math.Abs(sum - 1) > 0.1);
        Assert.Equal(dropped, Ops.ScaledDotProductAttention(q, k, ones, heads: 2, dropout: 0.5f, rng: new Generator(17)).ToArray());

        var mha = new MultiheadAttention(4, 2, dropout: 0.5f, rng: new Generator(18));
        var x = Random([4, 8, 4], 19);
        Assert.NotEqual(mha.Forward(x).ToArray(), mha.Forward(x).ToArray());
        mha.Eval();
        var plain = new MultiheadAttention(4, 2, rng: new Generator(20));
        plain.LoadStateDict(mha.StateDict());
        Assert.Equal(plain.Forward(x).ToArray(), mha.Forward(x).ToArray());
        Assert.Single(mha.Generators());
    }

    [Fact]
    public void Backward_runs_once_per_forward()
    {
        var q = Random([1, 2, 2], 21);
        q.RequiresGrad = true;
        var y = Ops.SelfAttention(Ops.Concat([q, q, q], 2), heads: 1);
        var loss = Ops.Sum(y);
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Equal("SelfAttention: Backward already ran through this attention and freed its weights; run the forward pass again.", e.Message);
    }

    [Fact]
    public void Bad_inputs_are_named_with_their_shapes()
    {
        var x = Random([2, 3, 4], 22);
        var e = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(x, x, x, heads: 3));
        Assert.Equal("ScaledDotProductAttention: 4 features do not split into 3 heads (heads must be >= 1 and divide the features).", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(x, Random([2, 3, 5], 23), x));
        Assert.StartsWith("ScaledDotProductAttention: expected query [batch, query steps, features] and key and value [batch, key steps, features] of the same batch and features, with steps >= 1; got [2, 3, 4], [2, 3, 5] and [2, 3, 4].", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(x, x, x, keyPaddingMask: Tensor.Zeros([2, 4])));
        Assert.Equal("ScaledDotProductAttention: keyPaddingMask must be [batch, key steps] = [2, 3] (1 = ignore that key); got [2, 4].", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(x, x, x, keyPaddingMask: Tensor.From([[0f, float.NegativeInfinity, 0f], [0f, 0f, 0f]])));
        Assert.Equal("ScaledDotProductAttention: keyPaddingMask holds -Infinity at [0, 1]; it is a bool mask of 0 and 1 (1 = ignore that key), not an additive one.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(x, x, x, dropout: 0.1f));
        Assert.StartsWith("ScaledDotProductAttention: dropout 0.1 needs a generator for its masks.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.SelfAttention(Random([2, 3, 8], 24), heads: 1));
        Assert.Equal("SelfAttention: expected the packed projection [batch, steps, 3·features] with steps >= 1; got [2, 3, 8].", e.Message);

        e = Assert.Throws<ArgumentException>(() => new MultiheadAttention(6, 4));
        Assert.Equal("MultiheadAttention: embedDim and numHeads must be >= 1 and numHeads must divide embedDim; got 6 and 4.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new MultiheadAttention(4, 2).Forward(Random([2, 4], 25)));
        Assert.Equal("MultiheadAttention(embed_dim=4, num_heads=2, dropout=0, batch_first=True): expected x [batch, steps, 4] with at least one step, got [2, 4].", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(4, 2, 8, activation: "tanh"));
        Assert.StartsWith("TransformerEncoderLayer: activation must be relu or gelu; got \"tanh\".", e.Message);
        e = Assert.Throws<ArgumentException>(() => MultiheadAttention.KeyPaddingMask([2, 5], 4));
        Assert.StartsWith("KeyPaddingMask: length 5 of sequence 1 is not in [0, 4].", e.Message);
    }

    [Fact]
    public void MultiheadAttention_is_initialized_and_named_as_pytorch()
    {
        var mha = new MultiheadAttention(16, 4, rng: new Generator(26));
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], mha.StateDict().Keys);
        Assert.Equal([48, 16], mha.InProjWeight.Shape.ToArray());
        Assert.All(mha.InProjBias.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(mha.OutProj.Bias!.ToArray(), b => Assert.Equal(0f, b));
        // Xavier-uniform on [48, 16]: bound √(6 / (16 + 48)) ≈ 0.306; out_proj as a Linear: 1/√16 = 0.25.
        float xavier = MathF.Sqrt(6f / 64f);
        Assert.All(mha.InProjWeight.ToArray(), w => Assert.InRange(w, -xavier, xavier));
        Assert.True(mha.InProjWeight.ToArray().Max() > 0.9f * xavier);
        Assert.All(mha.OutProj.Weight.ToArray(), w => Assert.InRange(w, -0.25f, 0.25f));
        Assert.True(mha.OutProj.Weight.ToArray().Max() > 0.2f);
        Assert.Equal(4, mha.HeadDim);
    }

    [Fact]
    public void TransformerEncoderLayer_has_pytorchs_children_and_state_dict()
    {
        var layer = new TransformerEncoderLayer(8, 2, 32, rng: new Generator(27));
        Assert.Equal(["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"], layer.NamedChildren().Select(child => child.Key));
        Assert.Equal(
            ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight", "linear1.bias",
             "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"],
            layer.StateDict().Keys);
        Assert.Equal(0.1f, layer.Dropout.P);
        Assert.Equal("TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=32, dropout=0.1, activation=relu, norm_first=False)", layer.Describe());
        // One generator draws weights and masks, so a trainer reseeds it once.
        Assert.Single(layer.Generators());
        // Dropout is the only difference between training and evaluation.
        var x = Random([2, 3, 8], 28);
        var training = layer.Forward(x).ToArray();
        layer.Eval();
        var zero = new TransformerEncoderLayer(8, 2, 32, dropout: 0f, rng: new Generator(29));
        zero.LoadStateDict(layer.StateDict());
        Assert.Equal(zero.Forward(x).ToArray(), layer.Forward(x).ToArray());
        Assert.NotEqual(training, layer.Forward(x).ToArray());
    }

    [Fact]
    public void Sinusoidal_encoding_interleaves_sin_and_cos_from_position_zero()
    {
        var pe = new SinusoidalPositionalEncoding(4, 3);
        var table = pe.Call(Tensor.Zeros([1, 3, 4])).ToArray();
        // D = 4: frequencies 1/10000^(0/4) = 1 and 1/10000^(2/4) = 0.01.
        float[] expected =
        [
            0f, 1f, 0f, 1f,
            MathF.Sin(1f), MathF.Cos(1f), MathF.Sin(0.01f), MathF.Cos(0.01f),
            MathF.Sin(2f), MathF.Cos(2f), MathF.Sin(0.02f), MathF.Cos(0.02f),
        ];
        Assert.Equal(expected, table, (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Empty(pe.StateDict());
        // Shorter sequences take the first rows; x is not scaled.
        var x = Random([2, 2, 4], 30);
        var y = pe.Call(x).ToArray();
        Assert.Equal(x.ToArray()[4] + table[4], y[4]);
        Assert.Equal(x.ToArray()[12] + table[4], y[12]);
    }

    [Fact]
    public void Positional_encoding_errors_name_the_sizes()
    {
        var e = Assert.Throws<ArgumentException>(() => new SinusoidalPositionalEncoding(5));
        Assert.Equal("SinusoidalPositionalEncoding: dModel must be even and >= 2 (sin and cos alternate) and maxLen >= 1; got 5 and 512.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new SinusoidalPositionalEncoding(4, 3).Call(Tensor.Zeros([1, 4, 4])));
        Assert.Equal("SinusoidalPositionalEncoding(4, max_len=3): a sequence of 4 steps is longer than max_len 3 (input [1, 4, 4]).", e.Message);
        e = Assert.Throws<ArgumentException>(() => new LearnedPositionalEncoding(4, 3).Call(Tensor.Zeros([1, 2, 5])));
        Assert.Equal("LearnedPositionalEncoding(4, max_len=3): expected input [batch, steps, 4] with at least one step, got [1, 2, 5].", e.Message);
        var learned = new LearnedPositionalEncoding(4, 3, new Generator(31));
        Assert.Equal(["weight"], learned.StateDict().Keys);
        Assert.Equal([3, 4], learned.Weight.Shape.ToArray());
    }
}
