namespace Neurite.Distributed;

/// <summary>
/// The processes (ranks) of one data-parallel run and the collective operations they take part in together. Every
/// rank calls the same collectives in the same order; each call returns when all ranks have contributed.
/// </summary>
public interface ICommunicator
{
    /// <summary>This process's index, 0 … <see cref="Size"/> − 1; rank 0 writes files and prints.</summary>
    int Rank { get; }

    /// <summary>The number of ranks.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank with their element-wise sum over the ranks.</summary>
    void AllReduceSum(float[] values);

    /// <summary>Replaces <paramref name="values"/> on every rank with their element-wise sum over the ranks.</summary>
    void AllReduceSum(double[] values);

    /// <summary>
    /// Starts summing <paramref name="values"/> over the ranks in place and returns at once; the values may not be
    /// touched until <see cref="IPendingReduction.Wait"/> returns.
    /// </summary>
    IPendingReduction StartAllReduceSum(float[] values);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> to every rank.</summary>
    void Broadcast(float[] values, int root = 0);

    /// <summary>Ends every rank of the run with <paramref name="message"/>, printed once by this rank (MPI_Abort).</summary>
    void Abort(string message, int exitCode = 1);
}

/// <summary>A sum started by <see cref="ICommunicator.StartAllReduceSum"/>.</summary>
public interface IPendingReduction
{
    /// <summary>Advances the reduction without waiting (MPI_Test); true once it is complete.</summary>
    bool Poll();

    /// <summary>Returns when the sum is in the buffer on this rank.</summary>
    void Wait();
}
