using System.Globalization;
using Neurite.Kernels;
using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Multi-head scaled dot-product attention (Vaswani et al., 2017, eq. 1), batch first: for each head h, which takes
    /// features [h·d, (h + 1)·d) of the D = heads·d, y_h = softmax(Q_h·K_hᵀ/√d + mask)·V_h, and y [B, Tq, D] holds the
    /// heads side by side (PyTorch's scaled_dot_product_attention on the heads of MultiheadAttention, before out_proj).
    /// </summary>
    /// <param name="query">[B, Tq, D].</param>
    /// <param name="key">[B, Tk, D].</param>
    /// <param name="value">[B, Tk, D].</param>
    /// <param name="heads">How many heads share the D features; D must be a multiple of it.</param>
    /// <param name="causal">Query step i attends to key steps j ≤ i only.</param>
    /// <param name="keyPaddingMask">[B, Tk] of 0 and 1, 1 = ignore that key (PyTorch's bool key_padding_mask, True = ignore); null = none.</param>
    /// <param name="dropout">The probability of zeroing an attention weight (the survivors scaled by 1/(1 − p)); 0 in evaluation.</param>
    /// <param name="rng">Where the dropout masks come from; needed when <paramref name="dropout"/> &gt; 0.</param>
    /// <remarks>
    /// One graph node; the backward keeps only the attention weights [B, heads, Tq, Tk] (and the dropout mask), and
    /// frees them when it runs. A query whose keys are all masked gets weights 0, so an output of 0 and no gradient,
    /// as PyTorch's scaled_dot_product_attention since 2.5 (1.13 gives NaN there). See <see cref="Kernels.Attention"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes do not fit, D is not a multiple of heads, the mask is not [B, Tk] of 0 and 1, or dropout is outside [0, 1) or lacks a generator.</exception>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, int heads = 1, bool causal = false,
        Tensor? keyPaddingMask = null, float dropout = 0f, Generator? rng = null)
    {
        const string Name = nameof(ScaledDotProductAttention);
        bool fits = query.Rank == 3 && key.Rank == 3 && Shapes.SameShape(key.Shape, value.Shape)
            && key.Shape[0] == query.Shape[0] && key.Shape[2] == query.Shape[2] && query.Shape[1] >= 1 && key.Shape[1] >= 1;
        if (!fits)
        {
            throw new ArgumentException(
                $"{Name}: expected query [batch, query steps, features] and key and value [batch, key steps, features] of the same batch and features, with steps >= 1; got {Shapes.Format(query.Shape)}, {Shapes.Format(key.Shape)} and {Shapes.Format(value.Shape)}.");
        }
        int width = query.Shape[2];
        var sizes = AttentionSizesOf(Name, query.Shape[0], query.Shape[1], key.Shape[1], width, heads);
        return Attend(Name, [query, key, value], [new(0, 0, width), new(1, 0, width), new(2, 0, width)], sizes, causal, keyPaddingMask, dropout, rng);
    }

    /// <summary>
    /// <see cref="ScaledDotProductAttention"/> of a sequence over itself, from its packed in-projection
    /// qkv [B, T, 3·D] = x·W_inᵀ + b_in (MultiheadAttention's in_proj): Q, K and V are its three column blocks, read in
    /// place (no copy), and y is [B, T, D].
    /// </summary>
    /// <exception cref="ArgumentException">qkv is not [B, T, 3·D] with T ≥ 1, D is not a multiple of heads, or the mask or dropout is wrong as for <see cref="ScaledDotProductAttention"/>.</exception>
    public static Tensor SelfAttention(Tensor qkv, int heads, bool causal = false, Tensor? keyPaddingMask = null, float dropout = 0f, Generator? rng = null)
    {
        const string Name = nameof(SelfAttention);
        if (qkv.Rank != 3 || qkv.Shape[1] < 1 || qkv.Shape[2] % 3 != 0 || qkv.Shape[2] == 0)
        {
            throw new ArgumentException($"{Name}: expected the packed projection [batch, steps, 3·features] with steps >= 1; got {Shapes.Format(qkv.Shape)}.");
        }
        int width = qkv.Shape[2] / 3, stride = qkv.Shape[2];
        var sizes = AttentionSizesOf(Name, qkv.Shape[0], qkv.Shape[1], qkv.Shape[1], width, heads);
        return Attend(Name, [qkv], [new(0, 0, stride), new(0, width, stride), new(0, 2 * width, stride)], sizes, causal, keyPaddingMask, dropout, rng);
    }

    private static AttentionSizes AttentionSizesOf(string name, int batch, int querySteps, int keySteps, int width, int heads)
    {
        if (heads < 1 || width % heads != 0)
        {
            throw new ArgumentException($"{name}: {width} features do not split into {heads} heads (heads must be >= 1 and divide the features).");
        }
        var sizes = new AttentionSizes(batch, heads, querySteps, keySteps, width / heads);
        if ((long)batch * heads * querySteps * keySteps > Array.MaxLength)
        {
            throw new ArgumentException($"{name}: the attention weights [{batch}, {heads}, {querySteps}, {keySteps}] have more elements than a tensor can hold ({Array.MaxLength}).");
        }
        return sizes;
    }

    /// <summary>Where Q, K or V lies: in input <paramref name="Input"/> of the op, from element <paramref name="Offset"/>, a step every <paramref name="Stride"/> floats.</summary>
    private readonly record struct AttentionOperand(int Input, int Offset, int Stride);

    private static Tensor Attend(string name, Tensor[] inputs, AttentionOperand[] operands, AttentionSizes sizes, bool causal,
        Tensor? keyPaddingMask, float dropout, Generator? rng)
    {
        CheckPaddingMask(name, keyPaddingMask, sizes);
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentException($"{name}: dropout must be in [0, 1); got {dropout.ToString(CultureInfo.InvariantCulture)}.", nameof(dropout));
        }
        if (dropout > 0 && rng is null)
        {
            throw new ArgumentException($"{name}: dropout {dropout.ToString(CultureInfo.InvariantCulture)} needs a generator for its masks.", nameof(rng));
        }
        var (q, k, v) = (operands[0], operands[1], operands[2]);
        var y = Tensor.Empty([sizes.Batch, sizes.QuerySteps, sizes.Width]);
        var weights = BufferPool.Rent(sizes.WeightsLength);
        float[]? keep = null;
        if (dropout > 0)
        {
            keep = BufferPool.Rent(sizes.WeightsLength);
            rng!.FillBernoulli(keep, 1f - dropout);
            TensorPrimitives.Multiply(keep, 1f / (1f - dropout), keep);
        }
        Kernels.Attention.Forward(sizes, causal, Read(q), q.Stride, Read(k), k.Stride, Read(v), v.Stride,
            keyPaddingMask is null ? default : keyPaddingMask.Data, keep, weights, y.Data);
        bool freed = false;
        Graph.RecordOp(y, name, inputs, g =>
        {
            if (freed)
            {
                throw new InvalidOperationException(
                    $"{name}: Backward already ran through this attention and freed its weights; run the forward pass again.");
            }
            var grads = inputs.Select(input => input.RequiresGrad ? Tensor.Empty(input.Shape) : null).ToArray();
            Kernels.Attention.Backward(sizes, Read(q), q.Stride, Read(k), k.Stride, Read(v), v.Stride, keep, weights, g.Data,
                Write(grads, q), Write(grads, k), Write(grads, v));
            Free(weights, keep);
            freed = true;
            return grads;
        });
        if (y.GradFn is null)
        {
            // Nothing will run backward: the weights can go.
            Free(weights, keep);
        }
        return y;

        ReadOnlySpan<float> Read(AttentionOperand operand) => inputs[operand.Input].Data[operand.Offset..];
    }

    private static Span<float> Write(Tensor?[] grads, AttentionOperand operand) =>
        grads[operand.Input] is { } gradient ? gradient.Data[operand.Offset..] : default;

    private static void Free(float[] weights, float[]? keep)
    {
        BufferPool.Return(weights);
        if (keep is not null)
        {
            BufferPool.Return(keep);
        }
    }

    private static void CheckPaddingMask(string name, Tensor? mask, AttentionSizes sizes)
    {
        if (mask is null)
        {
            return;
        }
        if (!Shapes.SameShape(mask.Shape, [sizes.Batch, sizes.KeySteps]))
        {
            throw new ArgumentException(
                $"{name}: keyPaddingMask must be [batch, key steps] = [{sizes.Batch}, {sizes.KeySteps}] (1 = ignore that key); got {Shapes.Format(mask.Shape)}.");
        }
        var values = mask.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is not (0f or 1f))
            {
                throw new ArgumentException(
                    $"{name}: keyPaddingMask holds {values[i].ToString(CultureInfo.InvariantCulture)} at {Shapes.FormatPosition(mask.Shape, i)}; it is a bool mask of 0 and 1 (1 = ignore that key), not an additive one.");
            }
        }
    }
}
