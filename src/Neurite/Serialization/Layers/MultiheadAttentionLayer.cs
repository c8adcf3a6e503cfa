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

    /// <summary>
    /// The attention of PyTorch's multi_head_attention_forward in evaluation: x·in_proj_weightᵀ + in_proj_bias split
    /// into q, k and v, each reshaped to heads [N, heads, T, D/heads]; softmax(q·kᵀ/√(D/heads) + mask)·v, with
    /// −∞ above the diagonal of the constant mask when causal; the heads joined again and projected by out_proj.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var (steps, d) = (context.Input[0], context.Input[1]);
        long headDim = d / Heads;
        string Linear(string x, string weight, string bias) =>
            onnx.Node("Add", [onnx.Node("MatMul", [x, onnx.Node("Transpose", [onnx.Weight(weight)], OnnxAttribute.Of("perm", [1L, 0L]))]), onnx.Weight(bias)]);
        string[] qkv = onnx.Node("Split", [Linear(inputs[0], "in_proj_weight", "in_proj_bias"), onnx.Constant([d, d, (long)d])], 3, OnnxAttribute.Of("axis", 2L));
        // [N, T, D] → [N, T, heads, D/heads] → perm: q and v [N, heads, T, D/heads], k [N, heads, D/heads, T].
        string Split(string x, long[] perm) =>
            onnx.Node("Transpose", [onnx.Node("Reshape", [x, onnx.Constant([0L, 0L, Heads, headDim])])], OnnxAttribute.Of("perm", perm));
        string scores = onnx.Node("Mul", [onnx.Node("MatMul", [Split(qkv[0], [0, 2, 1, 3]), Split(qkv[1], [0, 2, 3, 1])]), onnx.Constant(1 / MathF.Sqrt(headDim))]);
        if (Causal)
        {
            float[] mask = [.. Enumerable.Range(0, steps * steps).Select(i => i % steps > i / steps ? float.NegativeInfinity : 0f)];
            scores = onnx.Node("Add", [scores, onnx.Constant(mask, [steps, steps])]);
        }
        string heads = onnx.Node("MatMul", [onnx.Node("Softmax", [scores], OnnxAttribute.Of("axis", -1L)), Split(qkv[2], [0, 2, 1, 3])]);
        string joined = onnx.Node("Reshape", [onnx.Node("Transpose", [heads], OnnxAttribute.Of("perm", [0L, 2L, 1L, 3L])), onnx.Constant([0L, 0L, d])]);
        return Linear(joined, "out_proj.weight", "out_proj.bias");
    }

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
