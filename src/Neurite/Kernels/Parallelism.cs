namespace Neurite.Kernels;

/// <summary>Process-wide limits on how many threads the kernels may use.</summary>
public static class Parallelism
{
    private static int _maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Largest number of threads one kernel call may run on (the calling thread included).
    /// Defaults to <see cref="Environment.ProcessorCount"/>; 1 keeps every kernel on the calling thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => Volatile.Read(ref _maxThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxThreads, value);
        }
    }
}
