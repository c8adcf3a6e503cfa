using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Neurite.Kernels;

/// <summary>
/// The sizes of one multi-head attention: queries [Batch, QuerySteps, Heads·HeadSize] attend over keys and values
/// [Batch, KeySteps, Heads·HeadSize]; head h reads features [h·HeadSize, (h + 1)·HeadSize) of each.
/// </summary>
public readonly record struct AttentionSizes(int Batch, int Heads, int QuerySteps, int KeySteps, int HeadSize)
{
    /// <summary>Heads·HeadSize: the features of a query, key, value or output step.</summary>
    public int Width => Heads * HeadSize;

    /// <summary>Floats of the attention weights, which the forward pass keeps for the backward: Batch·Heads·QuerySteps·KeySteps.</summary>
    public int WeightsLength => Batch * Heads * QuerySteps * KeySteps;
}

/// <summary>
/// Scaled dot-product attention (Vaswani et al., 2017, eq. 1) for every sample and head: y = softmax(s·Q·Kᵀ + mask)·V,
/// with s = 1/√HeadSize.
/// </summary>
/// <remarks>
/// <para>Operands are read where they lie: step t of sample b of an operand starts at (b·steps + t)·stride, and head h
/// at h·HeadSize after that, so the three column blocks of a packed in-projection [B, T, 3·D] (stride 3·D) serve as
/// Q, K and V without a copy, and the output is written as [B, T, D] with the heads side by side. Per sample and
/// head, Q·Kᵀ and P·V are one GEMM each (transpose flags and strides), and the scaled scores get the causal and
/// key-padding masks and the softmax in one pass over each row.</para>
/// <para>The forward pass keeps only the attention weights P [B, H, Tq, Tk] for the backward, which is, with
/// ∂Pᵢⱼ the gradient of the weights (through the dropout mask when there is one),
/// ∂V = Pᵀ·∂Y, ∂P = ∂Y·Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)), ∂Q = s·∂S·K and ∂K = s·∂Sᵀ·Q.</para>
/// <para>A query row whose keys are all masked gets weights 0 and so an output of 0 and no gradient, as PyTorch's
/// scaled_dot_product_attention gives since 2.5, rather than the 0/0 = NaN of a plain softmax (PyTorch 1.13).</para>
/// <para>Samples and heads are independent, so they are split between threads (<see cref="Parallelism.MaxThreads"/>);
/// each writes its own rows and columns, and the result does not depend on the split. The passes are compiled optimized
/// at once (AggressiveOptimization): called once per forward or backward pass, they would otherwise run unoptimized
/// through the first 30 steps of a training run.</para>
/// </remarks>
public static class Attention
{
    /// <summary>Below this many multiply–adds per score GEMM summed over the batch, handing work to threads costs more than it saves.</summary>
    private const long ParallelThreshold = 64 * 1024;

    /// <summary>
    /// y [B, Tq, H·dh] = the attention of q over k and v; <paramref name="weights"/> receives P [B, H, Tq, Tk] for
    /// <see cref="Backward"/>. <paramref name="keyPaddingMask"/> ([B, Tk], non-zero = ignore that key, as PyTorch's
    /// bool key_padding_mask) and <paramref name="keep"/> (dropout on the weights: [B, H, Tq, Tk] factors, 0 or
    /// 1/(1 − p)) may be empty. <paramref name="causal"/>: query step i attends to key steps j ≤ i.
    /// </summary>
    /// <exception cref="ArgumentException">A stride is shorter than a step or a span is shorter than the sizes need.</exception>
    public static unsafe void Forward(AttentionSizes sizes, bool causal,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, int kStride, ReadOnlySpan<float> v, int vStride,
        ReadOnlySpan<float> keyPaddingMask, ReadOnlySpan<float> keep, Span<float> weights, Span<float> y)
    {
        Check(sizes, q.Length, qStride, k.Length, kStride, v.Length, vStride, keyPaddingMask.Length, keep.Length, weights.Length, nameof(Forward));
        CheckLength(y.Length, (long)sizes.Batch * sizes.QuerySteps * sizes.Width, "y", nameof(Forward));
        fixed (float* pq = q, pk = k, pv = v, pm = keyPaddingMask, pkeep = keep, pw = weights, py = y)
        {
            var job = new Job(sizes, causal, pq, qStride, pk, kStride, pv, vStride, keyPaddingMask.IsEmpty ? null : pm, keep.IsEmpty ? null : pkeep, pw)
            {
                Y = py,
            };
            Run(&ForwardSlab, &job);
        }
    }

    /// <summary>
    /// The gradients of q, k and v (written with their strides, each into its own elements; an empty span is not
    /// wanted) from g = ∂y [B, Tq, H·dh], the operands and the <paramref name="weights"/> and
    /// <paramref name="keep"/> factors of the forward pass.
    /// </summary>
    /// <exception cref="ArgumentException">A stride is shorter than a step or a span is shorter than the sizes need.</exception>
    public static unsafe void Backward(AttentionSizes sizes,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, int kStride, ReadOnlySpan<float> v, int vStride,
        ReadOnlySpan<float> keep, ReadOnlySpan<float> weights, ReadOnlySpan<float> g,
        Span<float> dq, Span<float> dk, Span<float> dv)
    {
        Check(sizes, q.Length, qStride, k.Length, kStride, v.Length, vStride, 0, keep.Length, weights.Length, nameof(Backward));
        CheckLength(g.Length, (long)sizes.Batch * sizes.QuerySteps * sizes.Width, "g", nameof(Backward));
        if (!dq.IsEmpty)
        {
            CheckOperand(sizes, sizes.QuerySteps, dq.Length, qStride, "dq", nameof(Backward));
        }
        if (!dk.IsEmpty)
        {
            CheckOperand(sizes, sizes.KeySteps, dk.Length, kStride, "dk", nameof(Backward));
        }
        if (!dv.IsEmpty)
        {
            CheckOperand(sizes, sizes.KeySteps, dv.Length, vStride, "dv", nameof(Backward));
        }
        fixed (float* pq = q, pk = k, pv = v, pkeep = keep, pw = weights, pg = g, pdq = dq, pdk = dk, pdv = dv)
        {
            var job = new Job(sizes, false, pq, qStride, pk, kStride, pv, vStride, null, keep.IsEmpty ? null : pkeep, pw)
            {
                G = pg,
                DQ = dq.IsEmpty ? null : pdq,
                DK = dk.IsEmpty ? null : pdk,
                DV = dv.IsEmpty ? null : pdv,
            };
            Run(&BackwardSlab, &job);
        }
    }

    /// <summary>Pointers and sizes of one call, shared by the threads that run its slabs of (sample, head) pairs.</summary>
    private unsafe struct Job(AttentionSizes sizes, bool causal, float* q, int qStride, float* k, int kStride, float* v, int vStride,
        float* mask, float* keep, float* weights)
    {
        public readonly AttentionSizes Sizes = sizes;
        public readonly bool Causal = causal;
        public readonly float* Q = q, K = k, V = v, Mask = mask, Keep = keep, Weights = weights;
        public readonly int QStride = qStride, KStride = kStride, VStride = vStride;
        public float* Y, G, DQ, DK, DV;

        /// <summary>Head h of sample b of an operand with <paramref name="steps"/> steps of <paramref name="stride"/> floats, as GEMM reads it.</summary>
        public readonly Span<float> Head(float* operand, int stride, int steps, int b, int h) =>
            new(operand + (long)b * steps * stride + h * Sizes.HeadSize, (steps - 1) * stride + Sizes.HeadSize);
    }

    private static unsafe void Run(delegate*<void*, int, int, void> body, Job* job)
    {
        var s = job->Sizes;
        int pairs = s.Batch * s.Heads;
        int threads = Math.Min(Parallelism.MaxThreads, pairs);
        if (threads < 2 || (long)pairs * s.QuerySteps * s.KeySteps * s.HeadSize < ParallelThreshold
            || !Workers.TryRun(body, job, pairs, 1, threads))
        {
            body(job, 0, pairs);
        }
    }

    /// <summary>The forward pass of (sample, head) pairs [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Sizes;
        int tq = s.QuerySteps, tk = s.KeySteps, dh = s.HeadSize, width = s.Width, area = tq * tk;
        float[]? scratch = job->Keep is null ? null : ArrayPool<float>.Shared.Rent(area);
        for (int pair = start; pair < end; pair++)
        {
            int b = pair / s.Heads, h = pair % s.Heads;
            var p = new Span<float>(job->Weights + (long)pair * area, area);
            var q = job->Head(job->Q, job->QStride, tq, b, h);
            // S = s·Q·Kᵀ, with the scale folded into GEMM's alpha.
            Gemm.Multiply(false, true, tq, tk, dh, 1f / MathF.Sqrt(dh), q, job->QStride, job->Head(job->K, job->KStride, tk, b, h), job->KStride, 0f, p, tk);
            var padding = job->Mask is null ? default : new ReadOnlySpan<float>(job->Mask + (long)b * tk, tk);
            for (int i = 0; i < tq; i++)
            {
                MaskedSoftmax(p.Slice(i * tk, tk), job->Causal ? Math.Min(i + 1, tk) : tk, padding);
            }
            Span<float> dropped = p;
            if (scratch is not null)
            {
                dropped = scratch.AsSpan(0, area);
                TensorPrimitives.Multiply(p, new ReadOnlySpan<float>(job->Keep + (long)pair * area, area), dropped);
            }
            var y = new Span<float>(job->Y + (long)b * tq * width + h * dh, (tq - 1) * width + dh);
            Gemm.Multiply(false, false, tq, dh, tk, 1f, dropped, tk, job->Head(job->V, job->VStride, tk, b, h), job->VStride, 0f, y, width);
        }
        if (scratch is not null)
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// softmax over the first <paramref name="limit"/> scores of a row, the padded keys among them excluded; the
    /// weights of excluded keys are 0. A row with no key left is all 0 (see the remarks of <see cref="Attention"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaskedSoftmax(Span<float> row, int limit, ReadOnlySpan<float> padding)
    {
        var live = row[..limit];
        row[limit..].Clear();
        if (!padding.IsEmpty)
        {
            for (int j = 0; j < limit; j++)
            {
                if (padding[j] != 0)
                {
                    live[j] = float.NegativeInfinity; // exp(−∞ − max) = 0
                }
            }
        }
        float max = TensorPrimitives.Max(live);
        if (float.IsNegativeInfinity(max))
        {
            live.Clear();
            return;
        }
        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Exp(live, live);
        TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
    }

    /// <summary>The backward pass of (sample, head) pairs [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Sizes;
        int tq = s.QuerySteps, tk = s.KeySteps, dh = s.HeadSize, width = s.Width, area = tq * tk;
        float scale = 1f / MathF.Sqrt(dh);
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * area);
        var dScores = scratch.AsSpan(0, area);
        for (int pair = start; pair < end; pair++)
        {
            int b = pair / s.Heads, h = pair % s.Heads;
            var p = new ReadOnlySpan<float>(job->Weights + (long)pair * area, area);
            var keep = job->Keep is null ? default : new ReadOnlySpan<float>(job->Keep + (long)pair * area, area);
            var g = new ReadOnlySpan<float>(job->G + (long)b * tq * width + h * dh, (tq - 1) * width + dh);
            ReadOnlySpan<float> dropped = p;
            if (!keep.IsEmpty)
            {
                var product = scratch.AsSpan(area, area);
                TensorPrimitives.Multiply(p, keep, product);
                dropped = product;
            }
            if (job->DV is not null)
            {
                // ∂V = P′ᵀ·∂Y, P′ the weights after dropout
                Gemm.Multiply(true, false, tk, dh, tq, 1f, dropped, tk, g, width, 0f, job->Head(job->DV, job->VStride, tk, b, h), job->VStride);
            }
            if (job->DQ is null && job->DK is null)
            {
                continue;
            }
            // ∂P′ = ∂Y·Vᵀ, then ∂P = ∂P′ ⊙ keep
            Gemm.Multiply(false, true, tq, tk, dh, 1f, g, width, job->Head(job->V, job->VStride, tk, b, h), job->VStride, 0f, dScores, tk);
            if (!keep.IsEmpty)
            {
                TensorPrimitives.Multiply(dScores, keep, dScores);
            }
            // softmax: ∂S = P ⊙ (∂P − Σⱼ ∂Pⱼ·Pⱼ), row by row
            for (int i = 0; i < tq; i++)
            {
                var row = dScores.Slice(i * tk, tk);
                var weights = p.Slice(i * tk, tk);
                TensorPrimitives.Subtract(row, TensorPrimitives.Dot(row, weights), row);
                TensorPrimitives.Multiply(row, weights, row);
            }
            if (job->DQ is not null)
            {
                // ∂Q = s·∂S·K
                Gemm.Multiply(false, false, tq, dh, tk, scale, dScores, tk, job->Head(job->K, job->KStride, tk, b, h), job->KStride,
                    0f, job->Head(job->DQ, job->QStride, tq, b, h), job->QStride);
            }
            if (job->DK is not null)
            {
                // ∂K = s·∂Sᵀ·Q
                Gemm.Multiply(true, false, tk, dh, tq, scale, dScores, tk, job->Head(job->Q, job->QStride, tq, b, h), job->QStride,
                    0f, job->Head(job->DK, job->KStride, tk, b, h), job->KStride);
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    private static void Check(AttentionSizes sizes, int q, int qStride, int k, int kStride, int v, int vStride, int mask, int keep, int weights, string method)
    {
        if (sizes.Batch < 0 || sizes.Heads < 1 || sizes.QuerySteps < 1 || sizes.KeySteps < 1 || sizes.HeadSize < 1)
        {
            throw new ArgumentException($"Attention.{method}: sizes {sizes} need a batch ≥ 0 and heads, steps and head size ≥ 1.");
        }
        CheckOperand(sizes, sizes.QuerySteps, q, qStride, "q", method);
        CheckOperand(sizes, sizes.KeySteps, k, kStride, "k", method);
        CheckOperand(sizes, sizes.KeySteps, v, vStride, "v", method);
        if (mask != 0)
        {
            CheckLength(mask, (long)sizes.Batch * sizes.KeySteps, "keyPaddingMask", method);
        }
        if (keep != 0)
        {
            CheckLength(keep, sizes.WeightsLength, "keep", method);
        }
        CheckLength(weights, sizes.WeightsLength, "weights", method);
    }

    private static void CheckOperand(AttentionSizes sizes, int steps, int length, int stride, string name, string method)
    {
        if (stride < sizes.Width)
        {
            throw new ArgumentException($"Attention.{method}: the stride of {name}, {stride}, is shorter than a step of {sizes.Width} features.");
        }
        CheckLength(length, sizes.Batch == 0 ? 0 : ((long)sizes.Batch * steps - 1) * stride + sizes.Width, name, method);
    }

    private static void CheckLength(int length, long needed, string name, string method)
    {
        if (length < needed)
        {
            throw new ArgumentException($"Attention.{method}: {name} has {length} elements, the sizes need {needed}.");
        }
    }
}
