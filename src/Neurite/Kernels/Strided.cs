namespace Neurite.Kernels;

/// <summary>Copies that read their source through arbitrary strides: permutes, broadcasts and slices.</summary>
public static class Strided
{
    /// <summary>
    /// destination (row-major, of <paramref name="shape"/>) = x read at offset Σ index[a]·xStrides[a].
    /// A stride of 0 repeats the source along that axis (broadcast); permuted strides transpose.
    /// </summary>
    public static void Copy(ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> shape, Span<float> destination)
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            destination[0] = x[0];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = xStrides[rank - 1];
        int rows = inner == 0 ? 0 : destination.Length / inner;
        Span<int> index = stackalloc int[rank];
        int offset = 0;
        for (int row = 0; row < rows; row++)
        {
            var output = destination.Slice(row * inner, inner);
            if (innerStride == 1)
            {
                x.Slice(offset, inner).CopyTo(output);
            }
            else if (innerStride == 0)
            {
                output.Fill(x[offset]);
            }
            else
            {
                for (int i = 0; i < inner; i++)
                {
                    output[i] = x[offset + i * innerStride];
                }
            }
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                offset += xStrides[axis];
                if (++index[axis] < shape[axis])
                {
                    break;
                }
                offset -= xStrides[axis] * shape[axis];
                index[axis] = 0;
            }
        }
    }

    /// <summary>
    /// destination (row-major, [outer, length, inner]) = the slice of x viewed as [outer, size, inner] at positions
    /// from, from + step, … (length of them) of its middle axis: each run of inner floats is one span copy.
    /// </summary>
    /// <exception cref="ArgumentException">The positions leave the axis, or a span is too short.</exception>
    public static void CopyRuns(ReadOnlySpan<float> x, int outer, int size, int inner, int from, int length, int step, Span<float> destination)
    {
        CheckRuns(x.Length, destination.Length, outer, size, inner, from, length, step, nameof(CopyRuns));
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < length; i++)
            {
                x.Slice((o * size + from + i * step) * inner, inner).CopyTo(destination.Slice((o * length + i) * inner, inner));
            }
        }
    }

    /// <summary>
    /// The slice of destination (viewed as [outer, size, inner], positions from, from + step, … of the middle axis)
    /// += values (row-major, [outer, length, inner]): the backward of <see cref="CopyRuns"/>. A slice of consecutive
    /// elements is one vectorized add.
    /// </summary>
    /// <exception cref="ArgumentException">The positions leave the axis, or a span is too short.</exception>
    public static void AddRuns(ReadOnlySpan<float> values, int outer, int size, int inner, int from, int length, int step, Span<float> destination)
    {
        CheckRuns(destination.Length, values.Length, outer, size, inner, from, length, step, nameof(AddRuns));
        if ((step == 1 || length <= 1) && (outer == 1 || length == size))
        {
            // One run: a slice of the leading axis, or all of every block.
            int count = outer * length * inner;
            Elementwise.AddInPlace(destination.Slice(outer == 1 ? from * inner : 0, count), values[..count]);
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < length; i++)
            {
                Elementwise.AddInPlace(destination.Slice((o * size + from + i * step) * inner, inner), values.Slice((o * length + i) * inner, inner));
            }
        }
    }

    private static void CheckRuns(int wholeLength, int packedLength, int outer, int size, int inner, int from, int length, int step, string kernel)
    {
        if (outer < 0 || size < 0 || inner < 0 || length < 0 || step < 1 || from < 0
            || (length > 0 && from + (long)(length - 1) * step >= size) || (long)outer * size * inner > wholeLength
            || (long)outer * length * inner > packedLength)
        {
            throw new ArgumentException(
                $"{kernel}: {length} positions from {from} by {step} in [{outer}, {size}, {inner}] do not fit spans of {wholeLength} (whole) and {packedLength} (slice) elements.");
        }
    }
}
