namespace Neurite.Tensors;

/// <summary>
/// Recycles the data arrays of large tensors that the autograd walk knows to be dead (gradients of intermediate
/// results, once their op's backward has consumed them), so that the next tensors of the same size reuse them
/// instead of asking the garbage collector for more. Per thread, exact lengths, capped in total.
/// </summary>
/// <remarks>
/// Only arrays that nothing else can reach may be returned: a returned array is handed to the next
/// <see cref="Rent"/> of its length, and whatever it holds is overwritten.
/// </remarks>
internal static class BufferPool
{
    /// <summary>Arrays shorter than this (64 KiB) are left to the garbage collector, which handles them cheaply.</summary>
    private const int MinLength = 16 * 1024;

    /// <summary>The most floats one thread keeps (64 MiB).</summary>
    private const long MaxPooled = 16L * 1024 * 1024;

    [ThreadStatic] private static Dictionary<int, Stack<float[]>>? _free;
    [ThreadStatic] private static long _pooled;

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinLength && _free is { } free && free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            _pooled -= length;
            return array;
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Gives back an array that nothing references any more.</summary>
    public static void Return(float[] array)
    {
        if (array.Length < MinLength || _pooled + array.Length > MaxPooled)
        {
            return;
        }
        _free ??= [];
        if (!_free.TryGetValue(array.Length, out var stack))
        {
            _free[array.Length] = stack = new Stack<float[]>();
        }
        stack.Push(array);
        _pooled += array.Length;
    }
}
