using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>multihead_attention</c>: self-attention over a sequence [T, D] per sample, as torch.nn.MultiheadAttention(D, heads,
/// dropout, batch_first=True) called with query = key = value = x; [T, D] → [T, D]. Fields: heads (required; it must
/// divide D), causal (false: step t attends to steps ≤ t when true), dropout (0, on the attention weights). State dict:
/// in_proj_weight [3·D, D], in_proj_bias [3·D], out_proj.weight [D, D], out_proj.bias [D].
/// </summary>
public sealed record MultiheadAttentionSpec(int Heads, bool Causal = false, double Dropout = 0) : LayerSpec
{
    internal static LayerType Definition { get; } = new("multihead_attention", ["heads", "causal", "dropout"], f => new MultiheadAttentionSpec(
        f.RequiredInt("heads"), f.Bool("causal", false), f.Number("dropout", 0, Check.Probability, Check.ProbabilityText)));

    public override string Type => "multihead_attention";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.SequenceInput(Type);
        CheckHeads(context, Heads, input);
        return input;
    }

    /// <summary>
    /// Per step the projections 3·D² and D² and, over all T keys, D for the scores and D for the weighted values:
    /// T·(4·D² + 2·T·D).
    /// </summary>
    public override long MultiplyAccumulates(LayerContext context)
    {
        long steps = context.Input[0], d = context.Input[1];
        return steps * (4 * d * d + 2 * steps * d);
    }

    public override Module Build(LayerContext context, Generator rng) =>
        new MultiheadAttention(context.Input[1], Heads, (float)Dropout, Causal, rng);

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("heads", Heads);
        json.WriteBoolean("causal", Causal);
        json.WriteNumber("dropout", Dropout);
    }

    /// <summary>Checks that <paramref name="heads"/> is positive and divides the features of <paramref name="input"/> [T, D], whose in-projection must fit in a tensor.</summary>
    internal static void CheckHeads(LayerContext context, int heads, int[] input)
    {
        int d = input[1];
        if (heads < 1)
        {
            throw context.Error("heads", $"expected a positive integer, got {heads}");
        }
        if (d % heads != 0)
        {
            throw context.Error("heads", $"{d} features do not split into {heads} heads; heads must divide the features of the input {Shapes.Format(input)}");
        }
        if (3L * d * d > Array.MaxLength)
        {
            throw context.Error($"attention over {d} features needs an in-projection of 3 × {d} × {d} weights, more than a tensor can hold ({Array.MaxLength})");
        }
    }
}
