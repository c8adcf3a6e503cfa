using Neurite.Tensors;

namespace Neurite.Autograd;

/// <summary>Records ops into the autograd graph and walks it backwards.</summary>
public static class Graph
{
    [ThreadStatic] private static int _noGradDepth;

    /// <summary>Whether ops record their backward now (false inside a <see cref="NoGrad"/> scope).</summary>
    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>
    /// A scope in which no op records a graph, for inference and parameter updates:
    /// <c>using (Graph.NoGrad()) { … }</c>. The scope belongs to the current thread.
    /// </summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> scope.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        public void Dispose() => _noGradDepth--;
    }

    /// <summary>
    /// Attaches <paramref name="backward"/> to <paramref name="output"/> when grad mode is on and an
    /// input requires grad; returns <paramref name="output"/>. <paramref name="backward"/> gets the
    /// gradient of the output and returns one gradient per input, shaped like that input, or null
    /// for inputs that do not require grad.
    /// </summary>
    public static Tensor Record(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward) =>
        Attach(output, name, inputs, backward, freshGradients: false);

    /// <summary><see cref="Record"/> for the library's ops, whose backwards return fresh tensors or views of g (see <see cref="Node.FreshGradients"/>).</summary>
    internal static Tensor RecordOp(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward) =>
        Attach(output, name, inputs, backward, freshGradients: true);

    /// <summary>Records a slicing op: <paramref name="output"/> is the <paramref name="region"/> of <paramref name="input"/>.</summary>
    internal static Tensor RecordSlice(Tensor output, string name, Tensor input, SliceRegion region)
    {
        if (IsGradEnabled && input.RequiresGrad)
        {
            output.GradFn = new Node(name, input, region);
        }
        return output;
    }

    private static Tensor Attach(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, bool freshGradients)
    {
        if (IsGradEnabled && AnyRequiresGrad(inputs))
        {
            output.GradFn = new Node(name, inputs, backward, freshGradients);
        }
        return output;
    }

    private static bool AnyRequiresGrad(Tensor[] inputs)
    {
        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                return true;
            }
        }
        return false;
    }

    internal static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException(
                "Backward: the tensor does not require grad; no input that requires grad led to it.");
        }
        if (gradient is null)
        {
            if (root.Count != 1)
            {
                throw new InvalidOperationException(
                    $"Backward: a gradient must be given for a non-scalar tensor of shape {Shapes.Format(root.Shape)}.");
            }
            gradient = root.OnesLike();
        }
        else if (!Shapes.SameShape(gradient.Shape, root.Shape))
        {
            throw new ArgumentException(
                $"Backward: gradient shape {Shapes.Format(gradient.Shape)} does not match tensor shape {Shapes.Format(root.Shape)}.");
        }

        // The walk's collections are kept for the next Backward on this thread (a small network's step is a few
        // microseconds, of which building them anew took a good part); a Backward started from a hook gets its own.
        var scratch = _scratch ?? new WalkScratch();
        _scratch = null;
        try
        {
            Walk(root, gradient, scratch);
        }
        finally
        {
            scratch.Clear();
            _scratch = scratch;
        }
    }

    [ThreadStatic] private static WalkScratch? _scratch;

    /// <summary>The collections of one backward walk, reusable once cleared.</summary>
    private sealed class WalkScratch
    {
        public List<Tensor> Order { get; } = [];

        public HashSet<Tensor> Visited { get; } = new(ReferenceEqualityComparer.Instance);

        public Stack<(Tensor Tensor, int NextInput)> Stack { get; } = new();

        /// <summary>
        /// Each pending gradient records whether the graph owns it: a tensor no one else references (a fresh result
        /// of a library op, or a sum the graph made), which a leaf can then take as its Grad without a copy.
        /// </summary>
        public Dictionary<Tensor, (Tensor Gradient, bool Owned)> Pending { get; } = new(ReferenceEqualityComparer.Instance);

        public void Clear()
        {
            Order.Clear();
            Visited.Clear();
            Stack.Clear();
            Pending.Clear();
        }
    }

    private static void Walk(Tensor root, Tensor gradient, WalkScratch scratch)
    {
        var order = TopologicalOrder(root, scratch);
        var pending = scratch.Pending;
        pending[root] = (gradient, false);
        using var noGrad = NoGrad();
        // Reverse topological order: every consumer of a tensor has run before the tensor itself,
        // so its gradient is complete when we reach it.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var tensor = order[i];
            if (!pending.Remove(tensor, out var entry))
            {
                continue;
            }
            var (g, owned) = entry;
            if (tensor.HasHooks)
            {
                // A hook may keep the gradient it sees, or return one it keeps.
                g = tensor.RunHooks(g);
                owned = false;
            }
            if (tensor.GradFn is null || tensor.RetainsGrad)
            {
                bool kept = Accumulate(tensor, g, owned);
                owned &= !kept;
            }
            if (tensor.GradFn is not { } node)
            {
                Release(g, owned);
                continue;
            }
            if (node.Region is { } region)
            {
                AddIntoRegion(pending, node.Inputs[0], region, g);
                Release(g, owned);
                continue;
            }
            var inputGrads = node.BackwardFunction!(g);
            bool passedOn = false;
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                var input = node.Inputs[k];
                var inputGrad = inputGrads[k];
                if (inputGrad is null)
                {
                    continue;
                }
                passedOn |= inputGrad.SharesStorage(g);
                bool fresh = node.FreshGradients && IsUnshared(inputGrad, g, inputGrads);
                if (!input.RequiresGrad)
                {
                    Release(inputGrad, fresh);
                }
                else if (pending.TryGetValue(input, out var sum))
                {
                    if (sum.Owned)
                    {
                        // The graph alone holds the sum, so it can take the new term in place.
                        Kernels.Elementwise.AddInPlace(sum.Gradient.Data, inputGrad.Data);
                    }
                    else
                    {
                        pending[input] = (Ops.Add(sum.Gradient, inputGrad), true);
                    }
                    Release(inputGrad, fresh);
                }
                else
                {
                    pending[input] = (inputGrad, fresh);
                }
            }
            // NOTE: g may live on in an input's pending gradient (Add and Reshape pass it on); only then is it kept.
            Release(g, owned && !passedOn);
        }
    }

    /// <summary>
    /// A slice's backward: adds <paramref name="g"/> into <paramref name="region"/> of <paramref name="input"/>'s
    /// pending gradient, in place when the graph owns it, else into an owned copy (zeros when there is none yet). So
    /// the T slices of one tensor cost one gradient of its shape, not T zero tensors and T sums.
    /// </summary>
    private static void AddIntoRegion(Dictionary<Tensor, (Tensor Gradient, bool Owned)> pending, Tensor input, SliceRegion region, Tensor g)
    {
        if (pending.TryGetValue(input, out var sum) && sum.Owned)
        {
            region.AddInto(sum.Gradient.Data, g.Data);
            return;
        }
        var full = input.GradientBuffer();
        if (sum.Gradient is { } shared)
        {
            shared.Data.CopyTo(full.Data);
        }
        else
        {
            full.Data.Clear();
        }
        region.AddInto(full.Data, g.Data);
        pending[input] = (full, true);
    }

    /// <summary>
    /// Recycles the array of a gradient the walk owns and no longer needs.
    /// </summary>
    /// <remarks>
    /// Why this never recycles an array that something still reads: the walk owns a gradient only when a library op's
    /// backward allocated it and kept no reference (<see cref="Node.FreshGradients"/>), it shares storage with
    /// neither the incoming gradient nor another gradient of that backward (<see cref="IsUnshared"/>), and it spans
    /// its whole storage array, so it is no view; or when the walk made it itself (a sum, a slice's
    /// gradient). A view of an owned gradient can only come from a backward that passes g on, and then g is not
    /// released (passedOn) and the view is not owned; a hook's gradient is never owned; a gradient that became a
    /// Grad is no longer owned. Forward results, and views of them, are never gradients the walk owns.
    /// </remarks>
    private static void Release(Tensor gradient, bool owned)
    {
        if (owned)
        {
            BufferPool.Return(gradient.Storage);
        }
    }

    /// <summary>
    /// Whether <paramref name="inputGrad"/> spans an array of its own: not a part view, and sharing its storage with
    /// neither g nor another gradient of the same node.
    /// </summary>
    private static bool IsUnshared(Tensor inputGrad, Tensor g, Tensor?[] inputGrads)
    {
        if (!inputGrad.SpansStorage || inputGrad.SharesStorage(g))
        {
            return false;
        }
        int sharing = 0;
        foreach (var other in inputGrads)
        {
            if (other is not null && other.SharesStorage(inputGrad))
            {
                sharing++;
            }
        }
        return sharing == 1;
    }

    /// <summary>
    /// Adds <paramref name="g"/> into tensor.Grad. The first gradient becomes the Grad when the graph owns it and is
    /// copied otherwise, since ops may share it (Add passes g on to both inputs).
    /// </summary>
    /// <returns>Whether the gradient is now tensor.Grad (so the walk no longer owns it).</returns>
    private static bool Accumulate(Tensor tensor, Tensor g, bool owned)
    {
        if (tensor.GradInternal is not { } grad)
        {
            if (!owned)
            {
                var copy = tensor.GradientBuffer();
                g.Data.CopyTo(copy.Data);
                g = copy;
            }
            tensor.GradInternal = g;
            return true;
        }
        Kernels.Elementwise.AddInPlace(grad.Data, g.Data);
        return false;
    }

    /// <summary>Tensors that lead to <paramref name="root"/>, each after all of its inputs (iterative DFS).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root, WalkScratch scratch)
    {
        var (order, visited, stack) = (scratch.Order, scratch.Visited, scratch.Stack);
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = tensor.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((tensor, next + 1));
                var input = inputs[next];
                if (input.RequiresGrad && visited.Add(input))
                {
                    stack.Push((input, 0));
                }
                continue;
            }
            order.Add(tensor);
        }
        return order;
    }
}
