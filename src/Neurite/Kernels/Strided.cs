namespace Neurite.Kernels;

/// <summary>Copies that read their source through arbitrary strides: permutes and broadcasts.</summary>
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
}
