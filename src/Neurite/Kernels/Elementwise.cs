using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>A binary element-wise operator: a scalar form and vectorized span forms.</summary>
public interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);

    static abstract void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination);

    static abstract void Invoke(ReadOnlySpan<float> x, float y, Span<float> destination);

    static abstract void Invoke(float x, ReadOnlySpan<float> y, Span<float> destination);
}

/// <summary>
/// Element-wise kernels. Same-shape work goes straight to TensorPrimitives; broadcasting is driven
/// row by row along the innermost axis, so that each row is one vectorized call.
/// </summary>
public static class Elementwise
{
    /// <summary>destination[i] += x[i].</summary>
    public static void AddInPlace(Span<float> destination, ReadOnlySpan<float> x)
    {
        CheckLengths(x.Length, destination.Length, nameof(AddInPlace));
        TensorPrimitives.Add(destination, x, destination);
    }

    /// <summary>Below this magnitude tanh(x) rounds to x in float32: x³/3 is under half an ulp of x when x² &lt; 3·2⁻²⁴.</summary>
    private const float TanhIsIdentityBelow = 1f / 4096;

    /// <summary>
    /// destination[i] = tanh(x[i]) to float32 rounding. TensorPrimitives.Tanh on float loses relative accuracy near 0
    /// (it gives tanh(0) = −6e-8, and tanh(1e-4) off by 3e-5 relative), so the values go through its double form, as
    /// fast here; below 2⁻¹² the input itself is the answer, which keeps 0, −0 and tiny inputs exact.
    /// </summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length, nameof(Tanh));
        Span<double> buffer = stackalloc double[256];
        for (int start = 0; start < x.Length; start += buffer.Length)
        {
            int n = Math.Min(buffer.Length, x.Length - start);
            var chunk = buffer[..n];
            var source = x.Slice(start, n);
            var target = destination.Slice(start, n);
            TensorPrimitives.ConvertChecked<float, double>(source, chunk);
            TensorPrimitives.Tanh(chunk, chunk);
            TensorPrimitives.ConvertChecked<double, float>(chunk, target);
            for (int i = 0; i < n; i++)
            {
                if (MathF.Abs(source[i]) < TanhIsIdentityBelow)
                {
                    target[i] = source[i];
                }
            }
        }
    }

    /// <summary>From this many elements on, ReLU and its backward split the range between threads.</summary>
    private const int ParallelThreshold = 32 * 1024;

    /// <summary>destination[i] = max(x[i], 0) (NaN stays NaN), split between threads for long spans.</summary>
    public static unsafe void Relu(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length, nameof(Relu));
        if (!TrySplit(&ReluSlab, x, x, destination))
        {
            TensorPrimitives.Max(x, 0f, destination[..x.Length]);
        }
    }

    /// <summary>
    /// destination[i] = g[i]·[x[i] &gt; 0], ReLU's backward in one pass (a product, not a select, so that g = ±∞ or NaN
    /// at x ≤ 0 gives NaN as g·0 does), split between threads for long spans.
    /// </summary>
    public static unsafe void ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, g.Length, nameof(ReluBackward));
        CheckLengths(x.Length, destination.Length, nameof(ReluBackward));
        if (!TrySplit(&ReluBackwardSlab, g, x, destination))
        {
            ReluBackwardRange(g, x, destination);
        }
    }

    private static void ReluBackwardRange(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float dr = ref MemoryMarshal.GetReference(destination);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var positive = Vector256.GreaterThan(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256<float>.Zero) & Vector256<float>.One;
                (Vector256.LoadUnsafe(ref gr, (nuint)i) * positive).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            destination[i] = g[i] * (x[i] > 0 ? 1f : 0f);
        }
    }

    /// <summary>Two inputs and a destination of the same length (x's), for a job split between threads.</summary>
    private readonly unsafe struct Job(float* a, float* b, float* destination)
    {
        public readonly float* A = a, B = b, Destination = destination;
    }

    /// <summary>destination[i] = GELU(x[i]) = x·Φ(x), exact (erfc, see <see cref="GaussianCdf(Vector256{float})"/>), split between threads for long spans.</summary>
    public static unsafe void Gelu(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length, nameof(Gelu));
        if (!TrySplit(&GeluSlab, x, x, destination))
        {
            GeluRange(default, x, destination);
        }
    }

    /// <summary>destination[i] = g[i]·GELU′(x[i]) = g·(Φ(x) + x·φ(x)), φ the standard normal density, split between threads for long spans.</summary>
    public static unsafe void GeluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, g.Length, nameof(GeluBackward));
        CheckLengths(x.Length, destination.Length, nameof(GeluBackward));
        if (!TrySplit(&GeluBackwardSlab, g, x, destination))
        {
            GeluRange(g, x, destination);
        }
    }

    /// <summary>GELU (g empty) or its backward over a range in one pass: Φ and e^(−x²/2) stay in registers (<see cref="GaussianCdf(Vector256{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GeluRange(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> destination)
    {
        const float InverseSqrt2Pi = 0.39894228040143268f;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var xs = Vector256.LoadUnsafe(ref xr, (nuint)i);
            var (cdf, gaussian) = GaussianCdf(xs);
            // GELU = x·Φ(x); GELU′ = Φ(x) + x·e^(−x²/2)/√(2π)
            var result = g.IsEmpty ? xs * cdf : Vector256.LoadUnsafe(ref gr, (nuint)i) * (xs * gaussian * InverseSqrt2Pi + cdf);
            result.StoreUnsafe(ref dr, (nuint)i);
        }
        if (i < x.Length)
        {
            // The tail through one vector padded with zeros, so that every element takes the same arithmetic.
            Span<float> xt = stackalloc float[Vector256<float>.Count], gt = stackalloc float[Vector256<float>.Count], dt = stackalloc float[Vector256<float>.Count];
            x[i..].CopyTo(xt);
            if (!g.IsEmpty)
            {
                g[i..].CopyTo(gt);
            }
            GeluRange(g.IsEmpty ? default : gt, xt, dt);
            dt[..(x.Length - i)].CopyTo(destination[i..]);
        }
    }

    /// <summary>cdf = Φ(x) and gaussian = e^(−x²/2) over spans, by <see cref="GaussianCdf(Vector256{float})"/>.</summary>
    internal static void GaussianCdf(ReadOnlySpan<float> x, Span<float> cdf, Span<float> gaussian)
    {
        CheckLengths(x.Length, cdf.Length, nameof(GaussianCdf));
        CheckLengths(x.Length, gaussian.Length, nameof(GaussianCdf));
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        for (int i = 0; i < x.Length; i += Vector256<float>.Count)
        {
            int n = Math.Min(Vector256<float>.Count, x.Length - i);
            lanes.Clear();
            x.Slice(i, n).CopyTo(lanes);
            var (c, e) = GaussianCdf(Vector256.Create<float>(lanes));
            c.CopyTo(lanes);
            lanes[..n].CopyTo(cdf.Slice(i, n));
            e.CopyTo(lanes);
            lanes[..n].CopyTo(gaussian.Slice(i, n));
        }
    }

    /// <summary>
    /// Φ(x) and e^(−x²/2) per lane. Φ(x) = ½·erfc(−x/√2), with erfc(z) = t·e^(−z² − 1.26551223 + t·P(t)), t = 1/(1 + z/2)
    /// for z ≥ 0 (Numerical Recipes' erfcc, a Chebyshev fit with relative error below 1.2e-7 everywhere): for x &lt; 0, Φ
    /// is that small erfc itself, so the tail keeps its relative accuracy (½(1 + erf) would cancel to 0 there), and for
    /// x ≥ 0, Φ = 1 − ½·erfc(x/√2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Cdf, Vector256<float> Gaussian) GaussianCdf(Vector256<float> x)
    {
        const float InverseSqrt2 = 0.70710678118654752f;
        var z = x * InverseSqrt2;
        var gaussian = Vector256.Exp(-(z * z));
        var t = Vector256<float>.One / (Vector256.Abs(z) * 0.5f + Vector256<float>.One);
        // −1.26551223 + t·P(t) by Horner's rule
        var q = t * 0.17087277f + Vector256.Create(-0.82215223f);
        q = q * t + Vector256.Create(1.48851587f);
        q = q * t + Vector256.Create(-1.13520398f);
        q = q * t + Vector256.Create(0.27886807f);
        q = q * t + Vector256.Create(-0.18628806f);
        q = q * t + Vector256.Create(0.09678418f);
        q = q * t + Vector256.Create(0.37409196f);
        q = q * t + Vector256.Create(1.00002368f);
        q = q * t + Vector256.Create(-1.26551223f);
        // ½·erfc(|z|) = ½·t·e^(−z²)·e^(…)
        var halfErfc = Vector256.Exp(q) * t * gaussian * 0.5f;
        var cdf = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One - halfErfc, halfErfc);
        return (cdf, gaussian);
    }

    /// <summary>Runs body over slabs of [0, b.Length) on the workers when the span is long; false when it did not.</summary>
    private static unsafe bool TrySplit(delegate*<void*, int, int, void> body, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        int n = b.Length, threads = Math.Min(Parallelism.MaxThreads, n / (ParallelThreshold / 2));
        if (n < ParallelThreshold || threads < 2)
        {
            return false;
        }
        fixed (float* pa = a, pb = b, pd = destination)
        {
            var job = new Job(pa, pb, pd);
            return Workers.TryRun(body, &job, n, 64, threads);
        }
    }

    private static unsafe void ReluSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        TensorPrimitives.Max(new ReadOnlySpan<float>(job->B + start, end - start), 0f, new Span<float>(job->Destination + start, end - start));
    }

    private static unsafe void GeluSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        GeluRange(default, new ReadOnlySpan<float>(job->B + start, end - start), new Span<float>(job->Destination + start, end - start));
    }

    private static unsafe void GeluBackwardSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        int length = end - start;
        GeluRange(new ReadOnlySpan<float>(job->A + start, length), new ReadOnlySpan<float>(job->B + start, length), new Span<float>(job->Destination + start, length));
    }

    private static unsafe void ReluBackwardSlab(void* state, int start, int end)
    {
        var job = (Job*)state;
        int length = end - start;
        ReluBackwardRange(new ReadOnlySpan<float>(job->A + start, length), new ReadOnlySpan<float>(job->B + start, length),
            new Span<float>(job->Destination + start, length));
    }

    /// <summary>destination[i] += alpha·x[i] (BLAS saxpy).</summary>
    public static void AddScaledInPlace(Span<float> destination, ReadOnlySpan<float> x, float alpha)
    {
        CheckLengths(x.Length, destination.Length, nameof(AddScaledInPlace));
        TensorPrimitives.MultiplyAdd(x, alpha, destination, destination);
    }

    /// <summary>
    /// destination = TOp(x, y) where x and y are read through broadcast strides (0 along broadcast
    /// axes) over the output <paramref name="shape"/>.
    /// </summary>
    public static void Broadcast<TOp>(
        ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides,
        ReadOnlySpan<float> y, ReadOnlySpan<int> yStrides,
        ReadOnlySpan<int> shape, Span<float> destination)
        where TOp : IBinaryOperator
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            destination[0] = TOp.Invoke(x[0], y[0]);
            return;
        }
        int inner = shape[rank - 1];
        int xInner = xStrides[rank - 1], yInner = yStrides[rank - 1];
        int rows = inner == 0 ? 0 : destination.Length / inner;
        Span<int> index = stackalloc int[rank];
        int xOffset = 0, yOffset = 0;
        for (int row = 0; row < rows; row++)
        {
            var output = destination.Slice(row * inner, inner);
            if (xInner == 1 && yInner == 1)
            {
                TOp.Invoke(x.Slice(xOffset, inner), y.Slice(yOffset, inner), output);
            }
            else if (xInner == 1 && yInner == 0)
            {
                TOp.Invoke(x.Slice(xOffset, inner), y[yOffset], output);
            }
            else if (xInner == 0 && yInner == 1)
            {
                TOp.Invoke(x[xOffset], y.Slice(yOffset, inner), output);
            }
            else
            {
                for (int i = 0; i < inner; i++)
                {
                    output[i] = TOp.Invoke(x[xOffset + i * xInner], y[yOffset + i * yInner]);
                }
            }
            // Advance the multi-index over the outer axes (an odometer), updating both offsets.
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                xOffset += xStrides[axis];
                yOffset += yStrides[axis];
                if (++index[axis] < shape[axis])
                {
                    break;
                }
                xOffset -= xStrides[axis] * shape[axis];
                yOffset -= yStrides[axis] * shape[axis];
                index[axis] = 0;
            }
        }
    }

    internal static void CheckLengths(int xLength, int destinationLength, string op)
    {
        if (destinationLength < xLength)
        {
            throw new ArgumentException($"{op}: destination holds {destinationLength} elements, fewer than the {xLength} of the input.");
        }
    }
}

/// <summary>x + y.</summary>
public readonly struct AddOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x + y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(y, x, d);
}

/// <summary>x − y.</summary>
public readonly struct SubtractOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x - y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>x · y.</summary>
public readonly struct MultiplyOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x * y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>x / y.</summary>
public readonly struct DivideOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => x / y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary>xʸ.</summary>
public readonly struct PowOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => MathF.Pow(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
}

/// <summary>max(x, y), NaN if either is NaN (as torch.maximum).</summary>
public readonly struct MaximumOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Max(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(y, x, d);
}

/// <summary>min(x, y), NaN if either is NaN (as torch.minimum).</summary>
public readonly struct MinimumOperator : IBinaryOperator
{
    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Min(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(y, x, d);
}

/// <summary>
/// A comparison that yields 1 or 0. TensorPrimitives has no float-valued comparisons, so the span
/// forms are plain loops, which the JIT vectorizes poorly but which are off every hot path.
/// </summary>
public interface IComparison
{
    static abstract bool Compare(float x, float y);
}

/// <summary>Adapts an <see cref="IComparison"/> to a binary operator yielding 1 or 0.</summary>
public readonly struct ComparisonOperator<TCompare> : IBinaryOperator
    where TCompare : IComparison
{
    public static float Invoke(float x, float y) => TCompare.Compare(x, y) ? 1f : 0f;

    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TCompare.Compare(x[i], y[i]) ? 1f : 0f;
        }
    }

    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TCompare.Compare(x[i], y) ? 1f : 0f;
        }
    }

    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TCompare.Compare(x, y[i]) ? 1f : 0f;
        }
    }
}

public readonly struct EqualComparison : IComparison
{
    public static bool Compare(float x, float y) => x == y;
}

public readonly struct NotEqualComparison : IComparison
{
    public static bool Compare(float x, float y) => x != y;
}

public readonly struct LessComparison : IComparison
{
    public static bool Compare(float x, float y) => x < y;
}

public readonly struct LessOrEqualComparison : IComparison
{
    public static bool Compare(float x, float y) => x <= y;
}

public readonly struct GreaterComparison : IComparison
{
    public static bool Compare(float x, float y) => x > y;
}

public readonly struct GreaterOrEqualComparison : IComparison
{
    public static bool Compare(float x, float y) => x >= y;
}
