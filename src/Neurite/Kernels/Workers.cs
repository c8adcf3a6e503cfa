using System.Diagnostics;

namespace Neurite.Kernels;

/// <summary>
/// Dedicated threads for the slabs of one kernel call: GEMM's blocks of C, the optimizers' updates, a loader's gather.
/// Parallel.For was measured slower for mid-sized problems (64³ GEMM on 2 threads: 67 against 154 GFLOP/s): a
/// thread-pool worker often wakes too late and the caller runs both halves. Here workers spin for a short while after
/// each job, so back-to-back calls hand over at once, then sleep. Slabs are claimed, not assigned: when a worker is
/// slow to start (another process holds its core), the caller runs that slab itself instead of waiting.
/// </summary>
internal static unsafe class Workers
{
    /// <summary>How long an idle worker spins for the next job before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    private static readonly Lock Gate = new();
    private static readonly List<ManualResetEventSlim> Signals = [];

    // The current job, written by the caller under Gate before it is published in _claims.
    private static delegate*<void*, int, int, void> _body;
    private static void* _state;
    private static int _extent, _tile, _tiles, _slabs;
    private static Exception? _failure;

    /// <summary>Job generation (high 32 bits), its slab count (16 bits) and the next unclaimed slab (16 bits).</summary>
    private static long _claims;

    /// <summary>Slabs of the current job not finished yet.</summary>
    private static int _remaining;

    /// <summary>
    /// Splits [0, extent) into `slabs` ranges of whole tiles (the last tile may be partial) and runs
    /// body(state, start, end) on each, on the caller and up to slabs − 1 workers; returns once all are done. False
    /// (nothing run) when another caller holds the workers, so that this caller's thread runs the whole range instead;
    /// also when called from inside a slab (a convolution's per-sample GEMM), whether on a worker or on the caller,
    /// which holds Gate and could otherwise enter it again. `state` is read by the body on other threads, so it must
    /// stay valid until this returns (a local of the caller).
    /// </summary>
    public static bool TryRun(delegate*<void*, int, int, void> body, void* state, int extent, int tile, int slabs)
    {
        if (Gate.IsHeldByCurrentThread || !Gate.TryEnter())
        {
            return false;
        }
        try
        {
            while (Signals.Count < slabs - 1)
            {
                StartWorker();
            }
            _body = body;
            _state = state;
            (_extent, _tile, _tiles, _slabs) = (extent, tile, (extent + tile - 1) / tile, slabs);
            _failure = null;
            Volatile.Write(ref _remaining, slabs);
            long generation = (Volatile.Read(ref _claims) >>> 32) + 1;
            Interlocked.Exchange(ref _claims, generation << 32 | (long)slabs << 16);
            for (int i = 0; i < slabs - 1; i++)
            {
                Signals[i].Set();
            }

            RunClaimed(generation);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _remaining) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            if (_failure is not null)
            {
                throw new AggregateException(_failure);
            }
            return true;
        }
        finally
        {
            Gate.Exit();
        }
    }

    /// <summary>Claims and runs slabs of job `generation` until none is left.</summary>
    private static void RunClaimed(long generation)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            int slab = (int)(claims & 0xFFFF);
            if (claims >>> 32 != generation || slab >= (int)((claims >> 16) & 0xFFFF))
            {
                return;
            }
            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims)
            {
                continue;
            }
            try
            {
                // The job's fields were written before it was published and stay until its last slab is done.
                int start = Math.Min(_extent, (int)((long)_tiles * slab / _slabs) * _tile);
                int end = Math.Min(_extent, (int)((long)_tiles * (slab + 1) / _slabs) * _tile);
                _body(_state, start, end);
            }
            catch (Exception e)
            {
                _failure = e;
            }
            Interlocked.Decrement(ref _remaining);
        }
    }

    private static void StartWorker()
    {
        var signal = new ManualResetEventSlim(false);
        Signals.Add(signal);
        long seen = Volatile.Read(ref _claims) >>> 32;
        new Thread(() => Loop(signal, seen)) { IsBackground = true, Name = "Neurite GEMM worker" }.Start();
    }

    private static void Loop(ManualResetEventSlim signal, long seen)
    {
        while (true)
        {
            long idleSince = Stopwatch.GetTimestamp();
            long generation;
            while ((generation = Volatile.Read(ref _claims) >>> 32) == seen)
            {
                if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Reset before the last look: a job published after it sets the signal again.
                signal.Reset();
                if (Volatile.Read(ref _claims) >>> 32 == seen)
                {
                    signal.Wait();
                }
                idleSince = Stopwatch.GetTimestamp();
            }
            seen = generation;
            RunClaimed(generation);
        }
    }
}
