using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>transformer_encoder_layer</c>: torch.nn.TransformerEncoderLayer(D, heads, ff, dropout, activation,
/// batch_first=True, norm_first) on a sequence [T, D] per sample; [T, D] → [T, D]. Fields: heads and ff (required),
/// dropout (0.1), activation ("relu" or "gelu", exact; "relu"), norm_first (false), causal (false). State dict:
/// self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight, self_attn.out_proj.bias,
/// linear1.weight [ff, D], linear1.bias, linear2.weight [D, ff], linear2.bias, norm1.weight, norm1.bias, norm2.weight,
/// norm2.bias. Layer norms use eps 1e-5.
/// </summary>
public sealed record TransformerEncoderLayerSpec(int Heads, int Ff, double Dropout = 0.1, string Activation = "relu", bool NormFirst = false, bool Causal = false)
    : LayerSpec
{
    internal static LayerType Definition { get; } = new("transformer_encoder_layer", ["heads", "ff", "dropout", "activation", "norm_first", "causal"],
        f => new TransformerEncoderLayerSpec(
            f.RequiredInt("heads"), f.RequiredInt("ff"), f.Number("dropout", 0.1, Check.Probability, Check.ProbabilityText),
            f.Choice("activation", "relu", "activation", ["relu", "gelu"]), f.Bool("norm_first", false), f.Bool("causal", false)));

    public override string Type => "transformer_encoder_layer";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.SequenceInput(Type);
        MultiheadAttentionSpec.CheckHeads(context, Heads, input);
        if (Ff < 1)
        {
            throw context.Error("ff", $"expected a positive integer, got {Ff}");
        }
        if ((long)Ff * input[1] > Array.MaxLength)
        {
            throw context.Error("ff", $"a feed-forward block from {input[1]} to {Ff} features needs {(long)Ff * input[1]} weights, more than a tensor can hold ({Array.MaxLength})");
        }
        return input;
    }

    /// <summary>The attention's T·(4·D² + 2·T·D), the feed-forward block's 2·T·D·ff and two layer norms' 2·T·D each.</summary>
    public override long MultiplyAccumulates(LayerContext context)
    {
        long steps = context.Input[0], d = context.Input[1];
        return steps * (4 * d * d + 2 * steps * d) + 2 * steps * d * Ff + 4 * steps * d;
    }

    public override Module Build(LayerContext context, Generator rng) =>
        new TransformerEncoderLayer(context.Input[1], Heads, Ff, (float)Dropout, Activation, 1e-5f, NormFirst, Causal, rng);

    /// <summary>
    /// Its children's forms (self_attn as <c>multihead_attention</c>, linear1 and linear2 as <c>linear</c>, norm1 and
    /// norm2 as <c>layer_norm</c>, the activation as <c>relu</c> or exact <c>gelu</c>) joined by the residual Adds in
    /// post- or pre-norm order; dropout is the identity.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string Child(LayerSpec layer, string child, string x) => onnx.Layer(layer, context, child, [x]);
        string Attention(string x) => Child(new MultiheadAttentionSpec(Heads, Causal), "self_attn", x);
        string FeedForward(string x) => Child(new LinearSpec(context.Input[1]), "linear2",
            Activation == "gelu" ? new GeluSpec().ToOnnx(onnx, context, [Child(new LinearSpec(Ff), "linear1", x)]) : onnx.Node("Relu", [Child(new LinearSpec(Ff), "linear1", x)]));
        string Norm(string child, string x) => Child(new LayerNormSpec(), child, x);
        string y = inputs[0];
        if (NormFirst)
        {
            y = onnx.Node("Add", [y, Attention(Norm("norm1", y))]);
            return onnx.Node("Add", [y, FeedForward(Norm("norm2", y))]);
        }
        y = Norm("norm1", onnx.Node("Add", [y, Attention(y)]));
        return Norm("norm2", onnx.Node("Add", [y, FeedForward(y)]));
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("heads", Heads);
        json.WriteNumber("ff", Ff);
        json.WriteNumber("dropout", Dropout);
        json.WriteString("activation", Activation);
        json.WriteBoolean("norm_first", NormFirst);
        json.WriteBoolean("causal", Causal);
    }
}
