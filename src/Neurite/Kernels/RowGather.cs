namespace Neurite.Kernels;

/// <summary>
/// Copies chosen rows of a row-major matrix into consecutive rows of another (a mini-batch's gather, an embedding
/// lookup), and adds them back (the lookup's backward).
/// </summary>
public static class RowGather
{
    /// <summary>From this many floats copied on, the rows are split between threads.</summary>
    private const int ParallelThreshold = 64 * 1024;

    /// <summary>
    /// destination row k = source row rows[k], each row <paramref name="width"/> floats. Large gathers are split
    /// between threads (<see cref="Parallelism.MaxThreads"/>): the rows of a shuffled batch lie scattered in memory,
    /// and two cores have twice the loads in flight.
    /// </summary>
    /// <exception cref="ArgumentException">A row index is outside the source, or the destination is too short.</exception>
    public static unsafe void Gather(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        if (width == 0)
        {
            return;
        }
        int sourceRows = source.Length / width;
        foreach (int row in rows)
        {
            if ((uint)row >= (uint)sourceRows)
            {
                throw new ArgumentException($"{nameof(Gather)}: row {row} is outside the {sourceRows} rows of the source.", nameof(rows));
            }
        }
        long needed = (long)rows.Length * width;
        if (destination.Length < needed)
        {
            throw new ArgumentException(
                $"{nameof(Gather)}: destination holds {destination.Length} elements, fewer than the {needed} of {rows.Length} rows of {width}.",
                nameof(destination));
        }
        int threads = Math.Min(Parallelism.MaxThreads, rows.Length);
        if (needed >= ParallelThreshold && threads > 1)
        {
            fixed (float* s = source, d = destination)
            fixed (int* r = rows)
            {
                var job = new Job(s, d, r, width);
                if (Workers.TryRun(&Slab, &job, rows.Length, 1, threads))
                {
                    return;
                }
            }
        }
        for (int k = 0; k < rows.Length; k++)
        {
            source.Slice(rows[k] * width, width).CopyTo(destination.Slice(k * width, width));
        }
    }

    /// <summary>
    /// destination row rows[k] += source row k, each row <paramref name="width"/> floats, for k in order (a row index
    /// may repeat; its rows add up): the backward of <see cref="Gather"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A row index is outside the destination, or the source is too short.</exception>
    public static void ScatterAdd(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        if (width == 0)
        {
            return;
        }
        int destinationRows = destination.Length / width;
        foreach (int row in rows)
        {
            if ((uint)row >= (uint)destinationRows)
            {
                throw new ArgumentException($"{nameof(ScatterAdd)}: row {row} is outside the {destinationRows} rows of the destination.", nameof(rows));
            }
        }
        long needed = (long)rows.Length * width;
        if (source.Length < needed)
        {
            throw new ArgumentException(
                $"{nameof(ScatterAdd)}: source holds {source.Length} elements, fewer than the {needed} of {rows.Length} rows of {width}.",
                nameof(source));
        }
        for (int k = 0; k < rows.Length; k++)
        {
            Elementwise.AddInPlace(destination.Slice(rows[k] * width, width), source.Slice(k * width, width));
        }
    }

    private readonly unsafe struct Job(float* source, float* destination, int* rows, int width)
    {
        public readonly float* Source = source, Destination = destination;
        public readonly int* Rows = rows;
        public readonly int Width = width;
    }

    private static unsafe void Slab(void* state, int start, int end)
    {
        var job = (Job*)state;
        nint width = job->Width;
        for (int k = start; k < end; k++)
        {
            new ReadOnlySpan<float>(job->Source + job->Rows[k] * width, job->Width)
                .CopyTo(new Span<float>(job->Destination + k * width, job->Width));
        }
    }
}
