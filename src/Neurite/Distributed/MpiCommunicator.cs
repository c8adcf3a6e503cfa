using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Neurite.Distributed;

/// <summary>
/// The ranks started by <c>mpirun</c>, through Open MPI's C library (<c>libmpi.so.40</c>) called directly: the
/// handful of calls data-parallel training needs, with no binding package in between.
/// </summary>
/// <remarks>
/// <para>Every collective is started non-blocking and completed by polling <c>MPI_Test</c> against
/// <see cref="Timeout"/>: MPI itself never times out, so a rank that stops answering (a hung process, a lost host)
/// would otherwise leave the others waiting for ever. Past the timeout this rank aborts the whole run with a message.
/// A rank that dies is noticed by <c>mpirun</c>, which ends the others.</para>
/// <para>Open MPI's handles (communicator, datatypes, operations) are the addresses of exported globals
/// (<c>ompi_mpi_comm_world</c>, …), read once with <see cref="NativeLibrary.GetExport"/>.</para>
/// </remarks>
public sealed class MpiCommunicator : ICommunicator, IDisposable
{
    private const string Library = "libmpi.so.40";
    private static readonly nint InPlace = 1; // Open MPI's MPI_IN_PLACE

    private readonly nint _world, _float, _double, _sum;
    private readonly bool _initializedHere;
    private bool _disposed;

    /// <summary>Joins the run <c>mpirun</c> started (MPI_Init_thread, funneled: only the training thread calls MPI).</summary>
    /// <exception cref="InvalidOperationException">Open MPI's library is not installed or does not initialize.</exception>
    public MpiCommunicator(TimeSpan? timeout = null)
    {
        nint library;
        try
        {
            library = NativeLibrary.Load(Library);
        }
        catch (DllNotFoundException)
        {
            throw new InvalidOperationException($"distributed training needs Open MPI ({Library}): apt-get install openmpi-bin, then run under mpirun");
        }
        _world = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        _float = NativeLibrary.GetExport(library, "ompi_mpi_float");
        _double = NativeLibrary.GetExport(library, "ompi_mpi_double");
        _sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
        Check(Native.MPI_Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            const int funneled = 1;
            Check(Native.MPI_Init_thread(0, 0, funneled, out _), "MPI_Init_thread");
            _initializedHere = true;
        }
        Check(Native.MPI_Comm_rank(_world, out int rank), "MPI_Comm_rank");
        Check(Native.MPI_Comm_size(_world, out int size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        Timeout = timeout ?? DefaultTimeout();
    }

    public int Rank { get; }

    public int Size { get; }

    /// <summary>How long a collective may wait for the other ranks before this rank aborts the run.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether this process was started by <c>mpirun</c> (Open MPI sets OMPI_COMM_WORLD_SIZE in each rank).</summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    public void AllReduceSum(float[] values) => StartAllReduceSum(values).Wait();

    public unsafe void AllReduceSum(double[] values)
    {
        fixed (double* buffer = values)
        {
            Check(Native.MPI_Iallreduce(InPlace, (nint)buffer, values.Length, _double, _sum, _world, out nint request), "MPI_Iallreduce");
            new Pending(this, request, default).Wait();
        }
    }

    public IPendingReduction StartAllReduceSum(float[] values)
    {
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        Check(Native.MPI_Iallreduce(InPlace, pin.AddrOfPinnedObject(), values.Length, _float, _sum, _world, out nint request), "MPI_Iallreduce");
        return new Pending(this, request, pin);
    }

    public void Broadcast(float[] values, int root = 0)
    {
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        Check(Native.MPI_Ibcast(pin.AddrOfPinnedObject(), values.Length, _float, root, _world, out nint request), "MPI_Ibcast");
        new Pending(this, request, pin).Wait();
    }

    public void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        Native.MPI_Abort(_world, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a library that does
    }

    /// <summary>Leaves the run (MPI_Finalize) if this object joined it.</summary>
    public void Dispose()
    {
        if (!_disposed && _initializedHere)
        {
            Native.MPI_Finalize();
        }
        _disposed = true;
    }

    private static TimeSpan DefaultTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable("NEURITE_MPI_TIMEOUT"), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(5);

    private void Check(int code, string call)
    {
        if (code != 0)
        {
            Abort($"neurite: rank {Rank} of {Size}: {call} failed with MPI error {code}");
        }
    }

    private sealed class Pending(MpiCommunicator owner, nint request, GCHandle pin) : IPendingReduction
    {
        private nint _request = request;
        private bool _done;

        public bool Poll()
        {
            if (!_done)
            {
                owner.Check(Native.MPI_Test(ref _request, out int flag, 0), "MPI_Test");
                if (flag != 0)
                {
                    _done = true;
                    if (pin.IsAllocated)
                    {
                        pin.Free();
                    }
                }
            }
            return _done;
        }

        public void Wait()
        {
            var clock = Stopwatch.StartNew();
            var spin = new SpinWait();
            while (!Poll())
            {
                if (clock.Elapsed > owner.Timeout)
                {
                    owner.Abort(string.Create(CultureInfo.InvariantCulture,
                        $"neurite: rank {owner.Rank} of {owner.Size}: the other ranks did not answer within {owner.Timeout.TotalSeconds:0} s (set NEURITE_MPI_TIMEOUT to wait longer); stopping every rank"));
                }
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    private static class Native
    {
        [DllImport(Library)]
        public static extern int MPI_Initialized(out int flag);

        [DllImport(Library)]
        public static extern int MPI_Init_thread(nint argc, nint argv, int required, out int provided);

        [DllImport(Library)]
        public static extern int MPI_Comm_rank(nint comm, out int rank);

        [DllImport(Library)]
        public static extern int MPI_Comm_size(nint comm, out int size);

        [DllImport(Library)]
        public static extern int MPI_Iallreduce(nint sendBuffer, nint receiveBuffer, int count, nint datatype, nint op, nint comm, out nint request);

        [DllImport(Library)]
        public static extern int MPI_Ibcast(nint buffer, int count, nint datatype, int root, nint comm, out nint request);

        [DllImport(Library)]
        public static extern int MPI_Test(ref nint request, out int flag, nint status);

        [DllImport(Library)]
        public static extern int MPI_Abort(nint comm, int errorCode);

        [DllImport(Library)]
        public static extern int MPI_Finalize();
    }
}
