using System.Diagnostics;
using Neurite.NN;
using Neurite.Training;

namespace Neurite.Distributed;

/// <summary>
/// Data-parallel training, as PyTorch's DistributedDataParallel: every rank holds the whole model and trains on its
/// shard of each global batch; the gradients are summed over the ranks so that every rank takes the same step.
/// Give it to the <see cref="Trainer"/>'s callbacks, first.
/// </summary>
/// <remarks>
/// <para>The gradients travel in buckets of about <see cref="BucketBytes"/>, in the reverse order of the model's
/// parameters, the order in which backward completes them. A hook on each parameter sees its gradient as soon as
/// backward has summed it; when the last gradient of a bucket has arrived, the bucket's all-reduce starts while
/// backward goes on with the earlier layers, and <see cref="ITrainingCallback.OnAfterBackward"/> waits for what is
/// still in flight. Buckets start strictly in order, so every rank issues the same collectives in the same order.</para>
/// <para>Each rank's loss is the mean over its shard, scaled by the trainer by the shard's share of the global batch
/// (<see cref="Data.Batch.Share"/>), so the sum of the ranks' gradients is the gradient of the global batch's mean
/// loss: N ranks at batch B train the model one process trains at batch N·B.</para>
/// </remarks>
public sealed class DataParallel : ITrainingCallback, IEpochFigures
{
    private readonly ICommunicator _communicator;
    private readonly Parameter[] _parameters;
    private readonly Bucket[] _buckets;
    private readonly (int Bucket, int Offset)[] _places;
    private readonly bool[] _arrived; // per parameter, in this backward pass
    private int _nextToStart;
    private long _firstStart; // Stopwatch timestamp of this step's first all-reduce, 0 before it
    private double _epochExposed, _epochTotal;

    /// <summary>Splits <paramref name="model"/>'s gradients into buckets and hooks every parameter.</summary>
    /// <param name="model">The model every rank trains (its parameters are made equal to rank 0's when training begins).</param>
    /// <param name="communicator">The ranks.</param>
    /// <param name="bucketBytes">Gradient bytes per all-reduce (PyTorch's default bucket is 25 MiB).</param>
    public DataParallel(Module model, ICommunicator communicator, int bucketBytes = 25 << 20)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        _communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        BucketBytes = bucketBytes;
        _parameters = [.. model.Parameters()];
        _places = new (int, int)[_parameters.Length];
        _arrived = new bool[_parameters.Length];
        var buckets = new List<Bucket>();
        var members = new List<int>();
        int length = 0;
        for (int i = _parameters.Length - 1; i >= 0; i--)
        {
            members.Add(i);
            length += _parameters[i].Count;
            if ((long)length * sizeof(float) >= bucketBytes || i == 0)
            {
                int offset = 0;
                foreach (int member in members)
                {
                    _places[member] = (buckets.Count, offset);
                    offset += _parameters[member].Count;
                }
                buckets.Add(new Bucket([.. members], new float[length]));
                members.Clear();
                length = 0;
            }
        }
        _buckets = [.. buckets];
        for (int i = 0; i < _parameters.Length; i++)
        {
            int index = i;
            _parameters[i].RegisterHook(gradient => Arrived(index, gradient));
        }
    }

    /// <summary>Gradient bytes per all-reduce.</summary>
    public int BucketBytes { get; }

    /// <summary>The number of buckets.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>The floats of each bucket, in the order they are reduced (the last parameters' first).</summary>
    public IReadOnlyList<int> BucketLengths => [.. _buckets.Select(bucket => bucket.Values.Length)];

    /// <summary>
    /// Seconds spent waiting for all-reduces after backward, summed over the steps: the communication that did not
    /// overlap with the backward pass, and the wait for any rank whose step is slower than this one's.
    /// </summary>
    public double ExposedCommunicationSeconds { get; private set; }

    /// <summary>
    /// Seconds from each step's first all-reduce starting to its last one completing, summed over the steps: the
    /// time gradients were in flight, overlapped with backward or not (the part after backward is
    /// <see cref="ExposedCommunicationSeconds"/>).
    /// </summary>
    public double CommunicationSeconds { get; private set; }

    /// <summary>The steps whose gradients were reduced.</summary>
    public long Steps { get; private set; }

    /// <summary>This epoch's communication seconds for the history: <c>comm_seconds</c> in flight, <c>comm_exposed_seconds</c> waited for after backward.</summary>
    public IReadOnlyDictionary<string, double> TakeEpochFigures()
    {
        var figures = new Dictionary<string, double> { ["comm_seconds"] = _epochTotal, ["comm_exposed_seconds"] = _epochExposed };
        (_epochTotal, _epochExposed) = (0, 0);
        return figures;
    }

    public void OnTrainBegin(Trainer trainer)
    {
        foreach (var parameter in _parameters)
        {
            float[] values = parameter.ToArray();
            _communicator.Broadcast(values);
            values.CopyTo(parameter.Data);
        }
    }

    public void OnAfterBackward(Trainer trainer, BatchStep step)
    {
        long start = Stopwatch.GetTimestamp();
        // Parameters backward did not reach contribute zeros, so every rank still reduces every bucket.
        while (_nextToStart < _buckets.Length)
        {
            var bucket = _buckets[_nextToStart];
            foreach (int member in bucket.Members)
            {
                if (!_arrived[member])
                {
                    Array.Clear(bucket.Values, _places[member].Offset, _parameters[member].Count);
                }
            }
            Start(_nextToStart++);
        }
        foreach (var bucket in _buckets)
        {
            bucket.InFlight!.Wait();
            bucket.InFlight = null;
            bucket.Count = 0;
            foreach (int member in bucket.Members)
            {
                var parameter = _parameters[member];
                var reduced = bucket.Values.AsSpan(_places[member].Offset, parameter.Count);
                if (parameter.Grad is { } grad)
                {
                    reduced.CopyTo(grad.Data);
                }
                else if (reduced.ContainsAnyExcept(0f))
                {
                    parameter.Grad = new Tensors.Tensor(reduced.ToArray(), (int[])parameter.ShapeArray.Clone());
                }
            }
        }
        _nextToStart = 0;
        Array.Clear(_arrived);
        double exposed = Stopwatch.GetElapsedTime(start).TotalSeconds, total = Stopwatch.GetElapsedTime(_firstStart).TotalSeconds;
        _firstStart = 0;
        ExposedCommunicationSeconds += exposed;
        CommunicationSeconds += total;
        _epochExposed += exposed;
        _epochTotal += total;
        Steps++;
    }

    /// <summary>A parameter's gradient is complete: copy it into its bucket and start every bucket that is now full, in order.</summary>
    private void Arrived(int parameter, Tensors.Tensor gradient)
    {
        var (index, offset) = _places[parameter];
        var bucket = _buckets[index];
        gradient.Data.CopyTo(bucket.Values.AsSpan(offset, gradient.Count));
        if (!_arrived[parameter])
        {
            _arrived[parameter] = true;
            bucket.Count++;
        }
        while (_nextToStart < _buckets.Length && _buckets[_nextToStart].Count == _buckets[_nextToStart].Members.Length)
        {
            Start(_nextToStart++);
        }
        // Give the reductions in flight a chance to progress while backward runs (MPI progresses inside its calls).
        for (int i = 0; i < _nextToStart; i++)
        {
            _buckets[i].InFlight?.Poll();
        }
    }

    private void Start(int index)
    {
        if (index == 0)
        {
            _firstStart = Stopwatch.GetTimestamp();
        }
        _buckets[index].InFlight = _communicator.StartAllReduceSum(_buckets[index].Values);
    }

    private sealed class Bucket(int[] members, float[] values)
    {
        public int[] Members { get; } = members;

        public float[] Values { get; } = values;

        public int Count { get; set; }

        public IPendingReduction? InFlight { get; set; }
    }
}
