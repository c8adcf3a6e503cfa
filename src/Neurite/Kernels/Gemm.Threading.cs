using System.Diagnostics;

namespace Neurite.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Dedicated threads for the slabs of one multiplication. Parallel.For was measured slower for mid-sized
    /// problems: a thread-pool worker often wakes too late and the caller runs both halves. Here workers spin for
    /// a short while after each job, so back-to-back calls hand over in well under a microsecond, then sleep.
    /// </summary>
    private static unsafe class Workers
    {
        /// <summary>How long an idle worker spins for the next job before it blocks.</summary>
        private static readonly long _spinTicks = Stopwatch.Frequency / 10_000;

        private static readonly Lock _gate = new();
        private static readonly List<ManualResetEventSlim> _signals = [];

        // The current job, written by the caller under _gate before _generation moves on.
        private static delegate*<Problem, Blocking, void> _body;
        private static Problem _problem;
        private static Blocking _blocking;
        private static bool _byRows;
        private static int _tile, _tiles, _slabs;
        private static long _generation;
        private static int _pending;
        private static Exception? _failure;

        /// <summary>
        /// Runs body on `slabs` slabs of C, the caller taking the first; false (nothing run) when another caller
        /// holds the workers, so that caller's thread runs the whole problem instead.
        /// </summary>
        public static bool TryRun(delegate*<Problem, Blocking, void> body, Problem problem, Blocking blocking,
            bool byRows, int tile, int tiles, int slabs)
        {
            if (!_gate.TryEnter())
            {
                return false;
            }
            try
            {
                while (_signals.Count < slabs - 1)
                {
                    StartWorker(_signals.Count);
                }
                _body = body;
                _problem = problem;
                _blocking = blocking;
                (_byRows, _tile, _tiles, _slabs) = (byRows, tile, tiles, slabs);
                _failure = null;
                // Every worker checks in, even one without a slab, so none can mistake this job for the next.
                Volatile.Write(ref _pending, _signals.Count);
                Interlocked.Increment(ref _generation);
                for (int i = 0; i < _signals.Count; i++)
                {
                    _signals[i].Set();
                }

                RunSlab(0);

                var spinner = new SpinWait();
                while (Volatile.Read(ref _pending) != 0)
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
                _gate.Exit();
            }
        }

        private static void RunSlab(int slab)
        {
            int extent = _byRows ? _problem.M : _problem.N;
            int start = Math.Min(extent, (int)((long)_tiles * slab / _slabs) * _tile);
            int end = Math.Min(extent, (int)((long)_tiles * (slab + 1) / _slabs) * _tile);
            _body(_byRows ? _problem.Rows(start, end) : _problem.Columns(start, end), _blocking);
        }

        private static void StartWorker(int index)
        {
            var signal = new ManualResetEventSlim(false);
            _signals.Add(signal);
            long seen = Volatile.Read(ref _generation);
            new Thread(() => Loop(index + 1, signal, seen)) { IsBackground = true, Name = "Neurite GEMM worker" }.Start();
        }

        private static void Loop(int slab, ManualResetEventSlim signal, long seen)
        {
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                long generation;
                while ((generation = Volatile.Read(ref _generation)) == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < _spinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    // Reset before the last look: a job published after it also sets the signal again.
                    signal.Reset();
                    if (Volatile.Read(ref _generation) == seen)
                    {
                        signal.Wait();
                    }
                    idleSince = Stopwatch.GetTimestamp();
                }
                seen = generation;
                // A job with fewer slabs than workers leaves the others idle.
                try
                {
                    if (slab < _slabs)
                    {
                        RunSlab(slab);
                    }
                }
                catch (Exception e)
                {
                    _failure = e;
                }
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
