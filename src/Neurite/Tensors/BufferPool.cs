namespace Neurite.Tensors;

/// <summary>
/// Recycles the data arrays of large tensors, so that the next tensors of the same size reuse memory that is already
/// paged in instead of asking the garbage collector for more. Fresh memory is expensive: its first touch faults in
/// every page, and the garbage collector gives freed large-object memory back to the system, so that a CNN's 13 MB
/// activation took 30 to 600 ms to allocate and fill on the (loaded) development machine, a virtual machine whose host
/// takes freed pages back, against 2 ms to refill one that was reused. Arrays come back two ways: the autograd walk returns
/// the gradients it knows to be dead (once their op's backward has consumed them), and <see cref="Sweep"/> takes back
/// the arrays lent to tensors (<see cref="Lend"/>) that the garbage collector found unreachable, views included.
/// Per thread, exact lengths, capped in total.
/// </summary>
/// <remarks>
/// Only arrays that nothing else can reach may be returned: a returned array is handed to the next
/// <see cref="Rent"/> of its length, and whatever it holds is overwritten. A span of a tensor's data is valid while
/// the tensor is reachable; sweeps run only as a module call that no other encloses begins (a step's forward pass,
/// <see cref="NN.Module.Call(Tensor)"/>), where no library code holds one.
/// </remarks>
internal static class BufferPool
{
    /// <summary>Arrays shorter than this (64 KiB) are left to the garbage collector, which handles them cheaply.</summary>
    private const int MinLength = 16 * 1024;

    /// <summary>The most floats one thread keeps by default (1 GiB): room for a CNN's step at batch 128, where one 32-channel 28×28 activation is 13 MB.</summary>
    private const long DefaultCapacity = 256L * 1024 * 1024;

    [ThreadStatic] private static long _capacity;

    /// <summary>The most floats this thread's pool keeps (<see cref="DefaultCapacity"/> unless set, as the tests do).</summary>
    internal static long Capacity
    {
        get => _capacity > 0 ? _capacity : DefaultCapacity;
        set => _capacity = value;
    }

    [ThreadStatic] private static Dictionary<int, Stack<float[]>>? _free;
    [ThreadStatic] private static long _pooled;

    /// <summary>When each length was last rented or returned (a count of those events), to evict the stalest first.</summary>
    [ThreadStatic] private static Dictionary<int, long>? _lastUsed;
    [ThreadStatic] private static long _uses;

    /// <summary>Floats lent to tensors by this thread since the last collection <see cref="Sweep"/> asked for.</summary>
    [ThreadStatic] private static long _lentSinceCollection;

    /// <summary>Floats lent (16 MiB) after which <see cref="Sweep"/> asks for a collection.</summary>
    private const long LentBeforeCollection = 4L * 1024 * 1024;

    /// <summary>The arrays lent to tensors by <see cref="Lend"/>, each with its tensor, held weakly.</summary>
    [ThreadStatic] private static Dictionary<float[], WeakReference<Tensor>>? _lent;

    /// <summary>A tensor of <paramref name="shape"/> on a rented array that <see cref="Sweep"/> takes back once the tensor is unreachable.</summary>
    public static Tensor Lend(int[] shape, string op)
    {
        var array = Rent(Shapes.CheckedCount(shape, op));
        var tensor = new Tensor(array, shape);
        if (array.Length >= MinLength)
        {
            (_lent ??= new(ReferenceEqualityComparer.Instance))[array] = new WeakReference<Tensor>(tensor);
            _lentSinceCollection += array.Length;
        }
        return tensor;
    }

    /// <summary>
    /// Takes back the arrays of the lent tensors that the garbage collector has found unreachable since (they and
    /// their views: a view keeps its base tensor reachable). Call it only where no span of a tensor's data is held.
    /// </summary>
    public static void Sweep()
    {
        if (_lent is not { Count: > 0 } lent)
        {
            return;
        }
        // A lent tensor is known to be unreachable only once a collection has looked. Collections come on their own
        // too rarely for this (3 in 40 passes of a convolution at batch 128, each lending 13 MB), so after
        // LentBeforeCollection floats lent one is asked for: a young-generation collection costs well under a
        // millisecond, far less than faulting in 16 MB of new pages.
        if (_lentSinceCollection >= LentBeforeCollection)
        {
            _lentSinceCollection = 0;
            GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
        List<float[]>? unreachable = null;
        foreach (var (array, owner) in lent)
        {
            if (!owner.TryGetTarget(out _))
            {
                (unreachable ??= []).Add(array);
            }
        }
        foreach (var array in unreachable ?? [])
        {
            Return(array);
        }
    }

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinLength && _free is { } free && free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            _pooled -= length;
            _lastUsed![length] = ++_uses;
            return array;
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>
    /// Gives back an array that nothing references any more (a lent one stops being watched). When the pool is full,
    /// the lengths used longest ago make room: an evaluation at a large batch must not leave the pool full of arrays
    /// the training steps after it never rent, so that each step faults in fresh memory again.
    /// </summary>
    public static void Return(float[] array)
    {
        _lent?.Remove(array);
        if (array.Length < MinLength || array.Length > Capacity)
        {
            return;
        }
        _free ??= [];
        _lastUsed ??= [];
        if (_pooled + array.Length > Capacity)
        {
            Evict(_pooled + array.Length - Capacity, keep: array.Length);
        }
        if (!_free.TryGetValue(array.Length, out var stack))
        {
            _free[array.Length] = stack = new Stack<float[]>();
        }
        stack.Push(array);
        _pooled += array.Length;
        _lastUsed[array.Length] = ++_uses;
    }

    /// <summary>Drops pooled arrays, the lengths used longest ago first, until <paramref name="floats"/> are freed or only <paramref name="keep"/>'s remain.</summary>
    private static void Evict(long floats, int keep)
    {
        var free = _free!;
        var lastUsed = _lastUsed!;
        foreach (int length in lastUsed.Where(entry => entry.Key != keep).OrderBy(entry => entry.Value).Select(entry => entry.Key).ToList())
        {
            var stack = free[length];
            while (floats > 0 && stack.TryPop(out _))
            {
                _pooled -= length;
                floats -= length;
            }
            if (stack.Count == 0)
            {
                free.Remove(length);
                lastUsed.Remove(length);
            }
            if (floats <= 0)
            {
                return;
            }
        }
        // Only arrays of the returned length are left: drop as many as needed of those.
        if (free.TryGetValue(keep, out var own))
        {
            while (floats > 0 && own.TryPop(out _))
            {
                _pooled -= keep;
                floats -= keep;
            }
        }
    }
}
