namespace Neurite.Kernels;

/// <summary>Limits on how many threads the kernels may use: process-wide, and tighter on one thread for a while.</summary>
public static class Parallelism
{
    private static int _maxThreads = Environment.ProcessorCount;

    [ThreadStatic]
    private static int _threadLimit; // 0: no limit on this thread beyond the process-wide one

    /// <summary>
    /// Largest number of threads one kernel call may run on (the calling thread included).
    /// Defaults to <see cref="Environment.ProcessorCount"/>; 1 keeps every kernel on the calling thread.
    /// Inside <see cref="LimitThisThread"/> on the calling thread, the smaller of the two limits.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is less than 1.</exception>
    public static int MaxThreads
    {
        get
        {
            int global = Volatile.Read(ref _maxThreads);
            return _threadLimit > 0 ? Math.Min(global, _threadLimit) : global;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxThreads, value);
        }
    }

    /// <summary>
    /// Keeps the kernels called from this thread to at most <paramref name="threads"/> threads until the returned
    /// scope is disposed (on the same thread), so that one caller among many (a server's session) uses at most that many
    /// cores. Scopes nest; disposing one restores the limit it replaced.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static ThreadLimit LimitThisThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var scope = new ThreadLimit(_threadLimit);
        _threadLimit = threads;
        return scope;
    }

    /// <summary>The scope of <see cref="LimitThisThread"/>: disposing it restores the previous limit of the thread.</summary>
    public readonly struct ThreadLimit : IDisposable
    {
        private readonly int _previous;

        internal ThreadLimit(int previous) => _previous = previous;

        /// <summary>Restores the limit this thread had before the scope began.</summary>
        public void Dispose() => _threadLimit = _previous;
    }
}
