using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// RNN, GRU and LSTM, run step by step with Neurite's differentiable ops (one MatMul for every step's input
/// projection, then per step the recurrent MatMul and the gates), so that an imported recurrent graph fine-tunes
/// through its weights, biases, peepholes and initial states.
/// </summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Recurrent()
    {
        string[] attributes = ["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout", "output_sequence"];
        return
        [
            new("RNN", node => RecurrentLayer(node, RecurrentCell.Rnn), attributes),
            new("GRU", node => RecurrentLayer(node, RecurrentCell.Gru), [.. attributes, "linear_before_reset"]),
            new("LSTM", node => RecurrentLayer(node, RecurrentCell.Lstm), [.. attributes, "input_forget"]),
        ];
    }

    /// <summary>
    /// One recurrent layer as ONNX defines it. Inputs X [T, N, F] ([N, T, F] with layout 1), W [D, G·H, F],
    /// R [D, G·H, H], B [D, 2·G·H] (W's biases, then R's), sequence_lens [N], initial_h (and the LSTM's initial_c)
    /// [D, N, H] ([N, D, H] with layout 1), the LSTM's peepholes P [D, 3·H]; gate blocks in ONNX's order, LSTM
    /// i, o, f, c and GRU z, r, h. Per step, with f, g, h the activations (default Sigmoid, Tanh, Tanh):
    /// RNN H = f(XWᵢᵀ + HRᵢᵀ + b); GRU z, r = f(…), h̃ = g(XWₕᵀ + (r ⊙ H)Rₕᵀ + Rbₕ + Wbₕ), or with
    /// linear_before_reset g(XWₕᵀ + r ⊙ (HRₕᵀ + Rbₕ) + Wbₕ), H′ = (1 − z) ⊙ h̃ + z ⊙ H; LSTM
    /// i = f(… + Pᵢ ⊙ C), f = f(… + P_f ⊙ C), c̃ = g(…), C′ = f ⊙ C + i ⊙ c̃, o = f(… + Pₒ ⊙ C′), H′ = o ⊙ h(C′).
    /// clip bounds every activation's input. Past a sequence's length the state is kept and Y is 0; the reverse
    /// direction starts at the sequence's last step. Outputs Y [T, D, N, H] ([N, T, D, H]), Y_h and Y_c [D, N, H]
    /// ([N, D, H]).
    /// </summary>
    private static OnnxValue[] RecurrentLayer(OnnxNodeContext node, RecurrentCell cell)
    {
        int gates = cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 };
        bool batchFirst = node.Int("layout", 0) switch { 0 => false, 1 => true, var layout => throw node.Error($"layout {layout} is not 0 or 1") };
        var (x, w, r) = (node.Float(0), node.Float(1), node.Float(2));
        if (x.Rank != 3)
        {
            throw node.Error($"input 0 (X) is {Shapes.Format(x.Shape)}; {node.Node.OpType} takes [{(batchFirst ? "batch, steps" : "steps, batch")}, features]");
        }
        if (batchFirst)
        {
            x = Ops.Permute(x, [1, 0, 2]);
        }
        int steps = x.Shape[0], batch = x.Shape[1], features = x.Shape[2];
        string direction = node.String("direction", "forward");
        int directions = direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw node.Error($"direction '{direction}' is not forward, reverse or bidirectional"),
        };
        int hidden = r.Rank == 3 ? r.Shape[2] : 0;
        if (node.Has("hidden_size") && node.Int("hidden_size", 0) != hidden || hidden < 1)
        {
            throw node.Error($"input 2 (R) is {Shapes.Format(r.Shape)}; for hidden_size {node.Int("hidden_size", 0)} it must be [{directions}, {gates}·hidden_size, hidden_size]");
        }
        int width = gates * hidden;
        RequireShape(node, 1, "W", w, [directions, width, features]);
        RequireShape(node, 2, "R", r, [directions, width, hidden]);
        var bias = node.Optional(3) is null ? null : RequireShape(node, 3, "B", node.Float(3), [directions, 2 * width]);
        var peepholes = cell == RecurrentCell.Lstm && node.Optional(7) is not null ? RequireShape(node, 7, "P", node.Float(7), [directions, 3 * hidden]) : null;
        Tensor? State(int index, string name)
        {
            if (node.Optional(index) is null)
            {
                return null;
            }
            var state = RequireShape(node, index, name, node.Float(index), batchFirst ? [batch, directions, hidden] : [directions, batch, hidden]);
            return batchFirst ? Ops.Permute(state, [1, 0, 2]) : state;
        }
        var (initialH, initialC) = (State(5, "initial_h"), cell == RecurrentCell.Lstm ? State(6, "initial_c") : null);
        var masks = StepMasks(node, steps, batch);
        bool linearBeforeReset = node.Int("linear_before_reset", 0) != 0;
        if (cell == RecurrentCell.Lstm && node.Int("input_forget", 0) != 0)
        {
            throw node.Error("input_forget=1 (coupled input and forget gates) is not supported");
        }
        float? clip = node.Has("clip") ? node.Float("clip", 0f) : null;
        var activations = RecurrentActivations(node, cell, directions, clip);

        var ys = new Tensor[directions];
        var lastH = new Tensor[directions];
        var lastC = new Tensor[directions];
        for (int d = 0; d < directions; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var (f, g, h) = activations[d];
            var (wd, rd) = (Ops.Select(w, 0, d), Ops.Select(r, 0, d));
            var (wb, rb) = bias is null ? (null, null) : (Ops.Narrow(Ops.Select(bias, 0, d), 0, 0, width), Ops.Narrow(Ops.Select(bias, 0, d), 0, width, width));
            // Every step's input projection at once: [T, N, G·H].
            var projected = Ops.Reshape(Ops.MatMul(Ops.Reshape(x, [steps * batch, features]), wd, transposeB: true), [steps, batch, width]);
            if (wb is not null)
            {
                projected = Ops.Add(projected, wb);
            }
            var state = initialH is null ? Tensor.Zeros([batch, hidden]) : Ops.Select(initialH, 0, d);
            var memory = cell != RecurrentCell.Lstm ? null : initialC is null ? Tensor.Zeros([batch, hidden]) : Ops.Select(initialC, 0, d);
            Tensor? Peephole(int k) => peepholes is null ? null : Ops.Narrow(Ops.Select(peepholes, 0, d), 0, k * hidden, hidden);
            var outputs = new Tensor[steps];
            for (int i = 0; i < steps; i++)
            {
                int t = reverse ? steps - 1 - i : i;
                var xt = Ops.Select(projected, 0, t);
                var recurrent = Ops.MatMul(state, rd, transposeB: true);
                if (rb is not null)
                {
                    recurrent = Ops.Add(recurrent, rb);
                }
                Tensor Block(Tensor v, int k) => Ops.Narrow(v, 1, k * hidden, hidden);
                Tensor next;
                Tensor? nextMemory = null;
                switch (cell)
                {
                    case RecurrentCell.Lstm:
                        var pre = Ops.Add(xt, recurrent);
                        Tensor WithPeephole(Tensor v, Tensor c, int k) => Peephole(k) is { } p ? Ops.Add(v, Ops.Mul(p, c)) : v;
                        var input = f(WithPeephole(Block(pre, 0), memory!, 0));
                        var forget = f(WithPeephole(Block(pre, 2), memory!, 2));
                        nextMemory = Ops.Add(Ops.Mul(forget, memory!), Ops.Mul(input, g(Block(pre, 3))));
                        var output = f(WithPeephole(Block(pre, 1), nextMemory, 1));
                        next = Ops.Mul(output, h(nextMemory));
                        break;
                    case RecurrentCell.Gru:
                        var update = f(Ops.Add(Block(xt, 0), Block(recurrent, 0)));
                        var reset = f(Ops.Add(Block(xt, 1), Block(recurrent, 1)));
                        var candidate = linearBeforeReset
                            ? Ops.Mul(reset, Block(recurrent, 2))
                            : Ops.MatMul(Ops.Mul(reset, state), Ops.Narrow(rd, 0, 2 * hidden, hidden), transposeB: true);
                        if (!linearBeforeReset && rb is not null)
                        {
                            candidate = Ops.Add(candidate, Ops.Narrow(rb, 0, 2 * hidden, hidden));
                        }
                        var n = g(Ops.Add(Block(xt, 2), candidate));
                        next = Ops.Add(n, Ops.Mul(update, Ops.Sub(state, n)));
                        break;
                    default:
                        next = f(Ops.Add(xt, recurrent));
                        break;
                }
                if (masks?[t] is { } mask)
                {
                    // Past the sequence's end: the state stays, the output is 0.
                    next = Ops.Add(state, Ops.Mul(mask, Ops.Sub(next, state)));
                    nextMemory = nextMemory is null ? null : Ops.Add(memory!, Ops.Mul(mask, Ops.Sub(nextMemory, memory!)));
                    outputs[t] = Ops.Mul(mask, next);
                }
                else
                {
                    outputs[t] = next;
                }
                (state, memory) = (next, nextMemory);
            }
            ys[d] = Ops.Stack(outputs, 0);
            lastH[d] = state;
            lastC[d] = memory!;
        }
        var y = Ops.Stack(ys, 1);
        var yH = Ops.Stack(lastH, 0);
        OnnxValue Out(Tensor value, int[] perm) => OnnxValue.Of(batchFirst ? Ops.Permute(value, perm) : value);
        return cell == RecurrentCell.Lstm
            ? [Out(y, [2, 0, 1, 3]), Out(yH, [1, 0, 2]), Out(Ops.Stack(lastC, 0), [1, 0, 2])]
            : [Out(y, [2, 0, 1, 3]), Out(yH, [1, 0, 2])];
    }

    /// <summary>Input <paramref name="index"/>, which must have <paramref name="shape"/>.</summary>
    private static Tensor RequireShape(OnnxNodeContext node, int index, string name, Tensor value, int[] shape) =>
        Shapes.SameShape(value.Shape, shape) ? value : throw node.Error($"input {index} ({name}) is {Shapes.Format(value.Shape)}; it must be {Shapes.Format(shape)}");

    /// <summary>Per step, [N, 1] of 1 where the step is within the sequence's length (sequence_lens) and 0 past it; null when every sequence is whole.</summary>
    private static Tensor?[]? StepMasks(OnnxNodeContext node, int steps, int batch)
    {
        if (node.Integers(4) is not { } lengths)
        {
            return null;
        }
        if (lengths.Length != batch || lengths.Any(length => length < 0 || length > steps))
        {
            throw node.Error($"input 4 (sequence_lens) is [{string.Join(", ", lengths)}]; it must give {batch} lengths of 0 to {steps} steps");
        }
        if (lengths.All(length => length == steps))
        {
            return null;
        }
        return [.. Enumerable.Range(0, steps).Select(t => (Tensor?)Tensor.From([.. lengths.Select(length => t < length ? 1f : 0f)], [batch, 1]))];
    }

    /// <summary>
    /// Per direction the activations f, g, h (those a cell uses; default Sigmoid, Tanh, Tanh, the RNN's f Tanh), from
    /// the activations attribute (one set, or one per direction), with activation_alpha and activation_beta
    /// consumed in order by those that take them; each bounds its input to ±clip when clip is given.
    /// </summary>
    private static (Func<Tensor, Tensor> F, Func<Tensor, Tensor> G, Func<Tensor, Tensor> H)[] RecurrentActivations(
        OnnxNodeContext node, RecurrentCell cell, int directions, float? clip)
    {
        int count = cell switch { RecurrentCell.Lstm => 3, RecurrentCell.Gru => 2, _ => 1 };
        string[] defaults = cell == RecurrentCell.Rnn ? ["Tanh"] : new[] { "Sigmoid", "Tanh", "Tanh" }[..count];
        IReadOnlyList<string> names = node.Node.Attribute("activations") is { } attribute
            ? attribute.Type == OnnxAttributeType.Strings ? attribute.Strings : throw node.Error($"attribute 'activations' is {attribute.Type.ToString().ToUpperInvariant()}, {node.Node.OpType} takes STRINGS")
            : [];
        if (names.Count == 0)
        {
            names = [.. Enumerable.Repeat(defaults, directions).SelectMany(set => set)];
        }
        else if (names.Count == count && directions == 2)
        {
            names = [.. names, .. names];
        }
        else if (names.Count != count * directions)
        {
            throw node.Error($"attribute 'activations' lists {names.Count} functions; {node.Node.OpType} takes {count} per direction ({count * directions})");
        }
        var alphas = new Queue<float>(node.Floats("activation_alpha") ?? []);
        var betas = new Queue<float>(node.Floats("activation_beta") ?? []);
        var functions = names.Select(name => RecurrentActivation(node, name, alphas, betas, clip)).ToList();
        return [.. Enumerable.Range(0, directions).Select(d =>
        {
            var set = functions.Skip(d * count).Take(count).ToList();
            return (set[0], set.Count > 1 ? set[1] : set[0], set.Count > 2 ? set[2] : set[0]);
        })];
    }

    /// <summary>One of ONNX's recurrent activation functions by name (case aside), its α and β taken from the queues or ONNX's defaults.</summary>
    private static Func<Tensor, Tensor> RecurrentActivation(OnnxNodeContext node, string name, Queue<float> alphas, Queue<float> betas, float? clip)
    {
        float Alpha(float fallback) => alphas.Count > 0 ? alphas.Dequeue() : fallback;
        float Beta(float fallback) => betas.Count > 0 ? betas.Dequeue() : fallback;
        Func<Tensor, Tensor> function;
        switch (name.ToUpperInvariant())
        {
            case "SIGMOID":
                function = Ops.Sigmoid;
                break;
            case "TANH":
                function = Ops.Tanh;
                break;
            case "RELU":
                function = Ops.Relu;
                break;
            case "SOFTSIGN":
                function = v => Ops.Div(v, Ops.Add(Ops.Abs(v), 1f));
                break;
            case "SOFTPLUS":
                function = v => Ops.Softplus(v);
                break;
            case "LEAKYRELU":
                float slope = Alpha(0.01f);
                function = v => Ops.LeakyRelu(v, slope);
                break;
            case "THRESHOLDEDRELU":
                float threshold = Alpha(1f);
                function = v => Ops.Where(Ops.Greater(v, Tensor.Scalar(threshold)), v, Tensor.Scalar(0f));
                break;
            case "ELU":
                float elu = Alpha(1f);
                function = v => Ops.Elu(v, elu);
                break;
            case "HARDSIGMOID":
                var (a, b) = (Alpha(0.2f), Beta(0.5f));
                function = v => HardSigmoid(v, a, b);
                break;
            case "AFFINE":
                var (scale, shift) = (Alpha(1f), Beta(0f));
                function = v => Ops.Add(Ops.Mul(v, scale), shift);
                break;
            case "SCALEDTANH":
                var (outer, inner) = (Alpha(1f), Beta(1f));
                function = v => Ops.Mul(Ops.Tanh(Ops.Mul(v, inner)), outer);
                break;
            default:
                throw node.Error($"the activation '{name}' is not supported");
        }
        return clip is { } bound ? v => function(Ops.Clamp(v, -bound, bound)) : function;
    }
}
