using System.Numerics.Tensors;

namespace Neurite.Kernels;

/// <summary>
/// Softmax and log-softmax along the middle axis of x viewed as [outer, n, inner]. Both subtract
/// the maximum first, so that exp never overflows: softmax(x) = exp(x − m) / Σ exp(x − m) and
/// log-softmax(x) = x − m − log Σ exp(x − m).
/// </summary>
public static class Softmax
{
    /// <summary>destination = softmax(x) along the middle axis.</summary>
    public static void Forward(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> destination, bool log)
    {
        if ((long)outer * n * inner > Math.Min(x.Length, destination.Length))
        {
            throw new ArgumentException($"Softmax: [outer {outer}, n {n}, inner {inner}] does not fit {x.Length} inputs and {destination.Length} outputs.");
        }
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                Row(x.Slice(o * n, n), destination.Slice(o * n, n), log);
            }
            return;
        }
        float[] column = new float[n];
        float[] result = new float[n];
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < inner; j++)
            {
                int start = o * n * inner + j;
                for (int i = 0; i < n; i++)
                {
                    column[i] = x[start + i * inner];
                }
                Row(column, result, log);
                for (int i = 0; i < n; i++)
                {
                    destination[start + i * inner] = result[i];
                }
            }
        }
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> destination, bool log)
    {
        if (x.IsEmpty)
        {
            return;
        }
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max))
        {
            max = 0; // all −∞: avoid (−∞) − (−∞) = NaN; the result is NaN only for log's log(0) − … as in PyTorch
        }
        TensorPrimitives.Subtract(x, max, destination);
        if (log)
        {
            // log Σ exp(x − m), computed without overwriting the shifted values.
            float logSum = MathF.Log(SumOfExp(destination));
            TensorPrimitives.Subtract(destination, logSum, destination);
        }
        else
        {
            TensorPrimitives.Exp(destination, destination);
            float sum = TensorPrimitives.Sum(destination);
            TensorPrimitives.Divide(destination, sum, destination);
        }
    }

    private static float SumOfExp(ReadOnlySpan<float> x)
    {
        const int Chunk = 256;
        Span<float> buffer = stackalloc float[Chunk];
        float sum = 0;
        for (int start = 0; start < x.Length; start += Chunk)
        {
            var part = x.Slice(start, Math.Min(Chunk, x.Length - start));
            var exp = buffer[..part.Length];
            TensorPrimitives.Exp(part, exp);
            sum += TensorPrimitives.Sum(exp);
        }
        return sum;
    }
}
