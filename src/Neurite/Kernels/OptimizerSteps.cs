using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>
/// Optimizer updates as one pass over the parameter: each element's whole update is computed in registers, where a
/// sequence of TensorPrimitives calls reads and writes every buffer once per operation (Adam: 11 passes over
/// parameter-sized arrays). Each element goes through the same float32 operations in the same order as PyTorch's
/// in-place ops (a multiply-add is fused exactly where PyTorch's CPU kernel fuses it), so the results are
/// bit-identical to the multi-pass form.
/// </summary>
/// <remarks>
/// A Vector256 loop and a scalar loop for the tail (and for CPUs without 256-bit vectors). Large parameters are split
/// between threads (<see cref="Parallelism.MaxThreads"/>); element-wise updates give the same bits on any split.
/// </remarks>
public static class OptimizerSteps
{
    /// <summary>
    /// From this many elements on, an update splits its range between threads (each core streams its part of the
    /// buffers through its own cache): Adam over the MLP's 784×256 weights does 7 passes' worth of memory traffic.
    /// </summary>
    private const int ParallelThreshold = 32 * 1024;

    /// <summary>Slab boundaries fall on multiples of this many elements (one 64-byte cache line per 16).</summary>
    private const int Tile = 64;

    /// <summary>The per-step scalars of <see cref="Adam"/>, rounded to float32 as PyTorch rounds them.</summary>
    /// <param name="Beta1">β₁.</param>
    /// <param name="OneMinusBeta1">1 − β₁, rounded from double.</param>
    /// <param name="Beta2">β₂.</param>
    /// <param name="OneMinusBeta2">1 − β₂, rounded from double.</param>
    /// <param name="BiasCorrection2Sqrt">√(1 − β₂ᵗ).</param>
    /// <param name="Eps">ε.</param>
    /// <param name="NegativeStepSize">−γ / (1 − β₁ᵗ).</param>
    /// <param name="WeightDecay">λ, or 0 for none.</param>
    public readonly record struct AdamScalars(
        float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float BiasCorrection2Sqrt, float Eps,
        float NegativeStepSize, float WeightDecay);

    /// <summary>
    /// One Adam update in place, per element: g ← fma(θ, λ, g) if λ ≠ 0; m ← fma(g, 1 − β₁, m·β₁);
    /// v ← fma((1 − β₂)·g, g, v·β₂); v̂ ← max(v̂, v) when <paramref name="maxExpAvgSq"/> is given, else v̂ = v;
    /// θ ← θ + (−s·m) / (√v̂ / √(1 − β₂ᵗ) + ε).
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void Adam(
        Span<float> parameter, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq,
        in AdamScalars s)
    {
        int n = parameter.Length;
        CheckLength(grad.Length, n, nameof(Adam));
        CheckLength(expAvg.Length, n, nameof(Adam));
        CheckLength(expAvgSq.Length, n, nameof(Adam));
        if (!maxExpAvgSq.IsEmpty)
        {
            CheckLength(maxExpAvgSq.Length, n, nameof(Adam));
        }
        int threads = Math.Min(Parallelism.MaxThreads, (n + Tile - 1) / Tile);
        if (n >= ParallelThreshold && threads > 1)
        {
            fixed (float* p = parameter, g = grad, m = expAvg, v = expAvgSq, vMax = maxExpAvgSq)
            {
                var job = new AdamJob(p, g, m, v, vMax, s);
                if (Workers.TryRun(&AdamSlab, &job, n, Tile, threads))
                {
                    return;
                }
            }
        }
        AdamRange(parameter, grad, expAvg, expAvgSq, maxExpAvgSq, s);
    }

    private readonly unsafe struct AdamJob(float* p, float* g, float* m, float* v, float* vMax, AdamScalars s)
    {
        public readonly float* P = p, G = g, M = m, V = v, VMax = vMax;
        public readonly AdamScalars S = s;
    }

    private static unsafe void AdamSlab(void* state, int start, int end)
    {
        var job = (AdamJob*)state;
        int length = end - start;
        AdamRange(new Span<float>(job->P + start, length), new ReadOnlySpan<float>(job->G + start, length),
            new Span<float>(job->M + start, length), new Span<float>(job->V + start, length),
            job->VMax == null ? [] : new Span<float>(job->VMax + start, length), job->S);
    }

    private static void AdamRange(
        Span<float> parameter, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq,
        in AdamScalars s)
    {
        int n = parameter.Length;
        bool amsgrad = !maxExpAvgSq.IsEmpty;
        bool decay = s.WeightDecay != 0;
        ref float p = ref MemoryMarshal.GetReference(parameter);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float m = ref MemoryMarshal.GetReference(expAvg);
        ref float v = ref MemoryMarshal.GetReference(expAvgSq);
        ref float vMax = ref MemoryMarshal.GetReference(maxExpAvgSq);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var beta1 = Vector256.Create(s.Beta1);
            var oneMinusBeta1 = Vector256.Create(s.OneMinusBeta1);
            var beta2 = Vector256.Create(s.Beta2);
            var oneMinusBeta2 = Vector256.Create(s.OneMinusBeta2);
            var correction = Vector256.Create(s.BiasCorrection2Sqrt);
            var eps = Vector256.Create(s.Eps);
            var stepSize = Vector256.Create(s.NegativeStepSize);
            var weightDecay = Vector256.Create(s.WeightDecay);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (decay)
                {
                    gi = Vector256.FusedMultiplyAdd(pi, weightDecay, gi);
                }
                var mi = Vector256.FusedMultiplyAdd(gi, oneMinusBeta1, Vector256.LoadUnsafe(ref m, (nuint)i) * beta1);
                var vi = Vector256.FusedMultiplyAdd(gi * oneMinusBeta2, gi, Vector256.LoadUnsafe(ref v, (nuint)i) * beta2);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
                if (amsgrad)
                {
                    vi = Vector256.Max(Vector256.LoadUnsafe(ref vMax, (nuint)i), vi);
                    vi.StoreUnsafe(ref vMax, (nuint)i);
                }
                var denominator = Vector256.Sqrt(vi) / correction + eps;
                (pi + mi * stepSize / denominator).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float pi = Unsafe.Add(ref p, i), gi = Unsafe.Add(ref g, i);
            if (decay)
            {
                gi = MathF.FusedMultiplyAdd(pi, s.WeightDecay, gi);
            }
            float mi = MathF.FusedMultiplyAdd(gi, s.OneMinusBeta1, Unsafe.Add(ref m, i) * s.Beta1);
            float vi = MathF.FusedMultiplyAdd(gi * s.OneMinusBeta2, gi, Unsafe.Add(ref v, i) * s.Beta2);
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
            if (amsgrad)
            {
                vi = Unsafe.Add(ref vMax, i) = MathF.Max(Unsafe.Add(ref vMax, i), vi);
            }
            float denominator = MathF.Sqrt(vi) / s.BiasCorrection2Sqrt + s.Eps;
            Unsafe.Add(ref p, i) = pi + mi * s.NegativeStepSize / denominator;
        }
    }

    /// <summary>
    /// One SGD update in place, per element: d ← fma(θ, λ, g) if λ ≠ 0, else g; with a momentum buffer b:
    /// b ← d on the first step (<paramref name="firstStep"/>), else fma(d, 1 − τ, b·μ), then d ← fma(b, μ, d) if
    /// Nesterov, else b; θ ← fma(d, −γ, θ). Without momentum pass an empty <paramref name="buffer"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static unsafe void Sgd(
        Span<float> parameter, ReadOnlySpan<float> grad, Span<float> buffer, bool firstStep,
        float learningRate, float momentum, float dampening, float weightDecay, bool nesterov)
    {
        int n = parameter.Length;
        CheckLength(grad.Length, n, nameof(Sgd));
        if (!buffer.IsEmpty)
        {
            CheckLength(buffer.Length, n, nameof(Sgd));
        }
        int threads = Math.Min(Parallelism.MaxThreads, (n + Tile - 1) / Tile);
        if (n >= ParallelThreshold && threads > 1)
        {
            fixed (float* p = parameter, g = grad, b = buffer)
            {
                var job = new SgdJob(p, g, b, new SgdScalars(firstStep, learningRate, momentum, dampening, weightDecay, nesterov));
                if (Workers.TryRun(&SgdSlab, &job, n, Tile, threads))
                {
                    return;
                }
            }
        }
        SgdRange(parameter, grad, buffer, new SgdScalars(firstStep, learningRate, momentum, dampening, weightDecay, nesterov));
    }

    private readonly record struct SgdScalars(bool FirstStep, float LearningRate, float Momentum, float Dampening, float WeightDecay, bool Nesterov);

    private readonly unsafe struct SgdJob(float* p, float* g, float* b, SgdScalars s)
    {
        public readonly float* P = p, G = g, B = b;
        public readonly SgdScalars S = s;
    }

    private static unsafe void SgdSlab(void* state, int start, int end)
    {
        var job = (SgdJob*)state;
        int length = end - start;
        SgdRange(new Span<float>(job->P + start, length), new ReadOnlySpan<float>(job->G + start, length),
            job->B == null ? [] : new Span<float>(job->B + start, length), job->S);
    }

    private static void SgdRange(Span<float> parameter, ReadOnlySpan<float> grad, Span<float> buffer, in SgdScalars o)
    {
        var (firstStep, learningRate, momentum, dampening, weightDecay, nesterov) = o;
        int n = parameter.Length;
        bool useMomentum = !buffer.IsEmpty;
        bool decay = weightDecay != 0;
        float negativeLr = -learningRate, oneMinusDampening = 1 - dampening;
        ref float p = ref MemoryMarshal.GetReference(parameter);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float b = ref MemoryMarshal.GetReference(buffer);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lr = Vector256.Create(negativeLr);
            var mu = Vector256.Create(momentum);
            var keep = Vector256.Create(oneMinusDampening);
            var lambda = Vector256.Create(weightDecay);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
                var d = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (decay)
                {
                    d = Vector256.FusedMultiplyAdd(pi, lambda, d);
                }
                if (useMomentum)
                {
                    var bi = firstStep ? d : Vector256.FusedMultiplyAdd(d, keep, Vector256.LoadUnsafe(ref b, (nuint)i) * mu);
                    bi.StoreUnsafe(ref b, (nuint)i);
                    d = nesterov ? Vector256.FusedMultiplyAdd(bi, mu, d) : bi;
                }
                Vector256.FusedMultiplyAdd(d, lr, pi).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float pi = Unsafe.Add(ref p, i), d = Unsafe.Add(ref g, i);
            if (decay)
            {
                d = MathF.FusedMultiplyAdd(pi, weightDecay, d);
            }
            if (useMomentum)
            {
                float bi = firstStep ? d : MathF.FusedMultiplyAdd(d, oneMinusDampening, Unsafe.Add(ref b, i) * momentum);
                Unsafe.Add(ref b, i) = bi;
                d = nesterov ? MathF.FusedMultiplyAdd(bi, momentum, d) : bi;
            }
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(d, negativeLr, pi);
        }
    }

    private static void CheckLength(int length, int expected, string op)
    {
        if (length != expected)
        {
            throw new ArgumentException($"{op}: a span holds {length} elements where the parameter has {expected}.");
        }
    }
}
