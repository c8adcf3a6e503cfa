namespace Neurite.Tensors;

/// <summary>Shape arithmetic shared by the ops: counts, broadcasting, axes, strides, formatting.</summary>
public static class Shapes
{
    /// <summary>"[2, 3]".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>The row-major coordinates of flat element <paramref name="flat"/> of a shape, as "[i, j, …]" (for error messages).</summary>
    internal static string FormatPosition(ReadOnlySpan<int> shape, int flat)
    {
        var position = new int[shape.Length];
        for (int axis = shape.Length - 1; axis >= 0; axis--)
        {
            position[axis] = flat % shape[axis];
            flat /= shape[axis];
        }
        return Format(position);
    }

    /// <summary>The element count of a shape, as a long so that an impossible size can be reported.</summary>
    internal static long CountOf(ReadOnlySpan<int> shape, string op)
    {
        long count = 1;
        foreach (int size in shape)
        {
            if (size < 0)
            {
                throw new ArgumentException($"{op}: shape {Format(shape)} has a negative size.");
            }
            // Saturate instead of overflowing, so that an impossible size is still reported as too big.
            count = size != 0 && count > long.MaxValue / size ? long.MaxValue : count * size;
        }
        return count;
    }

    /// <summary>The element count of a shape, refused before any allocation if no array can hold it.</summary>
    internal static int CheckedCount(ReadOnlySpan<int> shape, string op)
    {
        long count = CountOf(shape, op);
        if (count > Array.MaxLength)
        {
            throw new ArgumentException(
                $"{op}: shape {Format(shape)} has {count} elements, more than a tensor can hold ({Array.MaxLength}).");
        }
        return (int)count;
    }

    /// <summary>Maps a possibly negative axis onto 0 … rank − 1, or throws naming the op.</summary>
    public static int NormalizeAxis(int axis, int rank, string op)
    {
        int normalized = axis < 0 ? axis + rank : axis;
        if ((uint)normalized >= (uint)Math.Max(rank, 0) || rank == 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(axis), $"{op}: axis {axis} is out of range for a tensor of rank {rank}.");
        }
        return normalized;
    }

    /// <summary>Row-major strides of a shape.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int axis = shape.Length - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        return strides;
    }

    /// <summary>NumPy broadcasting: align from the right; sizes must match or be 1.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int sa = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int sb = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (sa != sb && sa != 1 && sb != 1)
            {
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (axis {i}: {sa} vs {sb}).");
            }
            result[i] = sa == 1 ? sb : sa;
        }
        return result;
    }

    /// <summary>
    /// Strides for reading a tensor of shape <paramref name="shape"/> as if it had the broadcast
    /// shape <paramref name="target"/>: 0 along axes that are broadcast.
    /// </summary>
    internal static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var own = Strides(shape);
        var strides = new int[target.Length];
        int offset = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            strides[i + offset] = shape[i] == 1 && target[i + offset] != 1 ? 0 : own[i];
        }
        return strides;
    }

    /// <summary>A sorted, distinct, normalized list of axes; all axes when <paramref name="axes"/> is empty.</summary>
    internal static int[] NormalizeAxes(ReadOnlySpan<int> axes, int rank, string op)
    {
        if (axes.IsEmpty)
        {
            return Enumerable.Range(0, rank).ToArray();
        }
        var normalized = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            normalized[i] = NormalizeAxis(axes[i], rank, op);
        }
        Array.Sort(normalized);
        for (int i = 1; i < normalized.Length; i++)
        {
            if (normalized[i] == normalized[i - 1])
            {
                throw new ArgumentException($"{op}: axis {normalized[i]} is listed twice.");
            }
        }
        return normalized;
    }

    internal static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
