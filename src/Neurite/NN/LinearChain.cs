using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// The inference path of <see cref="Sequential"/>: a run of <see cref="Linear"/> layers, each optionally followed by
/// <see cref="ReLU"/>, computed by one <see cref="Gemm.AffineChain"/> call (bias and ReLU applied by the thread that
/// wrote the rows, each thread's rows carried through all layers) instead of a module call, a GEMM and an element-wise
/// pass per layer. It runs only where nothing is recorded for autograd (under <see cref="Graph.NoGrad"/>, or when
/// neither the input nor a parameter of the run requires a gradient) and no layer of the run has a hook; its outputs
/// are the layer-by-layer path's to the bit.
/// </summary>
internal static class LinearChain
{
    /// <summary>
    /// Runs the longest chain that starts at <paramref name="layers"/>[<paramref name="start"/>] on
    /// <paramref name="x"/>, replacing x by its output; returns how many layers it ran, 0 when the layer there does
    /// not start a chain (the caller then calls it as usual, which also reports a wrong input shape).
    /// </summary>
    public static unsafe int TryRun(IReadOnlyList<Module> layers, int start, ref Tensor x)
    {
        if (x.Rank == 0 || layers[start] is not Linear first || x.Shape[^1] != first.InFeatures || x.Count == 0
            || (Graph.IsGradEnabled && x.RequiresGrad))
        {
            return 0;
        }
        int linears = 0, end = start;
        for (int features = first.InFeatures; end < layers.Count && Fusible(layers[end], features) is { } linear;)
        {
            features = linear.OutFeatures;
            linears++;
            end++;
            if (end < layers.Count && layers[end] is ReLU { HasHooks: false })
            {
                end++;
            }
        }
        if (linears == 0)
        {
            return 0;
        }

        int rows = x.Count / first.InFeatures;
        var specs = stackalloc AffineLayer[linears];
        float* scratch = Scratch(layers, start, linears, rows);
        Tensor? result = null;
        // Input, then weight, bias and output per layer (zeroed: a slot left unallocated is skipped when freeing).
        Span<GCHandle> pins = stackalloc GCHandle[1 + 3 * linears];
        try
        {
            var input = Pin(x, pins, 0);
            for (int i = start, l = 0; l < linears; l++)
            {
                var linear = (Linear)layers[i++];
                bool relu = i < end && layers[i] is ReLU;
                if (relu)
                {
                    i++;
                }
                float* output;
                if (l < linears - 1 && scratch is not null)
                {
                    output = scratch;
                    scratch += (nint)rows * linear.OutFeatures;
                }
                else
                {
                    // Activations that do not fit the scratch buffer get tensors of their own; the pinned handle keeps
                    // each array alive until the chain is done, and only the last layer's tensor is returned.
                    var tensor = l < linears - 1 ? Tensor.Empty([rows, linear.OutFeatures]) : Tensor.Empty([.. x.Shape[..^1], linear.OutFeatures]);
                    output = Pin(tensor, pins, 3 + 3 * l);
                    result = tensor;
                }
                specs[l] = new AffineLayer
                {
                    Weight = Pin(linear.Weight, pins, 1 + 3 * l),
                    Bias = linear.Bias is null ? null : Pin(linear.Bias, pins, 2 + 3 * l),
                    Output = output,
                    In = linear.InFeatures,
                    Out = linear.OutFeatures,
                    Relu = relu,
                };
            }
            Gemm.AffineChain(rows, input, specs, linears);
        }
        finally
        {
            foreach (var pin in pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
        x = result!;
        return end - start;
    }

    /// <summary>The most floats of intermediate activations kept per thread (4 MiB: a 784-256-128-10 chain up to batch 2730).</summary>
    private const long ScratchLimit = 1L << 20;

    /// <summary>This thread's pinned buffer for the activations between the layers of a chain, which never leave it.</summary>
    [ThreadStatic] private static float[]? _scratch;

    /// <summary>
    /// Room for the activations between the <paramref name="linears"/> layers from <paramref name="start"/> at
    /// <paramref name="rows"/> rows, from this thread's buffer; null where they need more than <see cref="ScratchLimit"/>
    /// (they then go to tensors of their own). Reusing one buffer keeps them in cache and keeps the buffer pool's lending,
    /// and the collections it asks for (<see cref="BufferPool.Sweep"/>), out of inference.
    /// </summary>
    private static unsafe float* Scratch(IReadOnlyList<Module> layers, int start, int linears, int rows)
    {
        long floats = 0;
        for (int i = start, l = 0; l < linears - 1; i++)
        {
            if (layers[i] is Linear linear)
            {
                floats += (long)rows * linear.OutFeatures;
                l++;
            }
        }
        if (floats == 0 || floats > ScratchLimit)
        {
            return null;
        }
        if (_scratch is null || _scratch.Length < floats)
        {
            _scratch = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
        }
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch));
    }

    /// <summary>The layer as a link of a chain whose input has <paramref name="features"/> features, or null.</summary>
    private static Linear? Fusible(Module layer, int features) =>
        layer is Linear { HasHooks: false } linear && linear.InFeatures == features
            && !(Graph.IsGradEnabled && (linear.Weight.RequiresGrad || linear.Bias is { RequiresGrad: true }))
            ? linear
            : null;

    /// <summary>Pins the tensor's storage (the handle goes to pins[slot]) and returns the address of its first element.</summary>
    private static unsafe float* Pin(Tensor tensor, Span<GCHandle> pins, int slot)
    {
        pins[slot] = GCHandle.Alloc(tensor.Storage, GCHandleType.Pinned);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.Data));
    }
}
