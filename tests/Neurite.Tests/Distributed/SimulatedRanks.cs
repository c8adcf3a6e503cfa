using System.Numerics;
using Neurite.Distributed;

namespace Neurite.Tests.Distributed;

/// <summary>
/// Ranks simulated in one process, one thread each: every collective waits at a barrier for all of them, sums the
/// ranks' buffers in rank order (so every rank gets the same bits) and hands the sum back. For testing what runs
/// under mpirun without it; a rank that never joins a collective fails the others after a timeout instead of hanging.
/// </summary>
internal sealed class SimulatedRanks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Barrier _barrier;
    private readonly Array?[] _slots;

    private SimulatedRanks(int size) => (_barrier, _slots) = (new Barrier(size), new Array?[size]);

    /// <summary>Runs <paramref name="body"/> as each of <paramref name="size"/> ranks on threads of its own; returns their results by rank.</summary>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        var group = new SimulatedRanks(size);
        var results = new T[size];
        var failures = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(rank => new Thread(() =>
        {
            try
            {
                results[rank] = body(new Member(group, rank));
            }
            catch (Exception e)
            {
                failures[rank] = e;
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }
        foreach (var thread in threads)
        {
            thread.Join();
        }
        if (failures.Any(failure => failure is not null))
        {
            throw new AggregateException(failures.OfType<Exception>());
        }
        return results;
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(Timeout))
        {
            throw new TimeoutException($"a simulated rank did not join a collective within {Timeout.TotalSeconds} s");
        }
    }

    /// <summary>values ← Σ over the ranks of their values, summed in rank order.</summary>
    private void Sum<T>(int rank, T[] values)
        where T : INumber<T>
    {
        _slots[rank] = values;
        Wait();
        var sum = new T[values.Length];
        foreach (T[] slot in _slots.Cast<T[]>())
        {
            Assert.Equal(values.Length, slot.Length);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += slot[i];
            }
        }
        Wait(); // every rank has read every buffer
        sum.CopyTo(values, 0);
    }

    private void Broadcast(int rank, float[] values, int root)
    {
        _slots[rank] = values;
        Wait();
        var source = ((float[])_slots[root]!).ToArray();
        Wait();
        source.CopyTo(values, 0);
    }

    private sealed class Member(SimulatedRanks group, int rank) : ICommunicator
    {
        public int Rank => rank;

        public int Size => group._slots.Length;

        public void AllReduceSum(float[] values) => group.Sum(rank, values);

        public void AllReduceSum(double[] values) => group.Sum(rank, values);

        public IPendingReduction StartAllReduceSum(float[] values)
        {
            group.Sum(rank, values);
            return new Done();
        }

        public void Broadcast(float[] values, int root = 0) => group.Broadcast(rank, values, root);

        public void Abort(string message, int exitCode = 1) => throw new InvalidOperationException(message);
    }

    private sealed class Done : IPendingReduction
    {
        public bool Poll() => true;

        public void Wait()
        {
        }
    }
}
