using System.Runtime.CompilerServices;

namespace Neurite.Kernels;

/// <summary>The cell of a recurrent layer, with PyTorch's gate order.</summary>
public enum RecurrentCell
{
    /// <summary>Elman RNN (torch.nn.RNN, tanh): h′ = tanh(W_ih·x + b_ih + W_hh·h + b_hh). One gate block.</summary>
    Rnn,

    /// <summary>
    /// torch.nn.LSTM, gates i, f, g, o: i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of W_i·x + b_i + W_h·h + b_h;
    /// c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′).
    /// </summary>
    Lstm,

    /// <summary>
    /// torch.nn.GRU, gates r, z, n: r = σ(W_ir·x + b_ir + W_hr·h + b_hr), z likewise,
    /// n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)), h′ = (1 − z) ⊙ n + z ⊙ h.
    /// </summary>
    Gru,
}

/// <summary>The sizes of one direction of one recurrent layer: x [Batch, Steps, Input] → y [Batch, Steps, Hidden].</summary>
public readonly record struct RecurrentSizes(RecurrentCell Cell, int Batch, int Steps, int Input, int Hidden)
{
    /// <summary>Gate blocks: 1 (RNN), 4 (LSTM), 3 (GRU); the weights have Gates·Hidden rows.</summary>
    public int Gates => Cell switch
    {
        RecurrentCell.Lstm => 4,
        RecurrentCell.Gru => 3,
        _ => 1,
    };

    /// <summary>Gates·Hidden: the rows of W_ih and W_hh, the length of b_ih and b_hh.</summary>
    public int GateWidth => Gates * Hidden;

    /// <summary>Floats the forward pass keeps for the backward in <c>gates</c>: Batch·Steps·GateWidth.</summary>
    public int GatesLength => Batch * Steps * GateWidth;

    /// <summary>Floats kept in <c>extra</c>: the cell states c (LSTM) or W_hn·h + b_hn (GRU), Batch·Steps·Hidden; none for an RNN.</summary>
    public int ExtraLength => Cell == RecurrentCell.Rnn ? 0 : Batch * Steps * Hidden;

    /// <summary>The scratch the forward pass needs: one step's recurrent product and a row of zeros.</summary>
    public int ForwardScratchLength => Batch * GateWidth + Hidden;

    /// <summary>The workspace the backward pass needs: the gate gradients (twice for a GRU), h_{t−1} of every step, ∂h, ∂c and a row of zeros.</summary>
    public int BackwardWorkspaceLength =>
        (Cell == RecurrentCell.Gru ? 2 : 1) * GatesLength + Batch * Steps * Hidden + 2 * Batch * Hidden + Hidden;
}

/// <summary>
/// One direction of a recurrent layer over a whole sequence, forward and backward through time, batch first.
/// </summary>
/// <remarks>
/// <para>The input projection of all steps is one GEMM, x [N·T, F]·W_ihᵀ + b_ih, written into <c>gates</c>; each step
/// then adds its recurrent GEMM h_{t−1}·W_hhᵀ and b_hh and runs the gate arithmetic in one fused pass, which
/// overwrites the step's pre-activations with the activated gates that the backward pass needs (O(T·H) per layer).</para>
/// <para>The backward pass walks the steps in reverse, one GEMM per step for ∂h_{t−1} = ∂a_t·W_hh; ∂x, ∂W_ih, ∂W_hh
/// and the bias gradients are then one GEMM or one sum each over all steps.</para>
/// <para>The fused passes run on the vector width that <see cref="Gemm.ActivePath"/> names (Vector512, Vector256 or
/// scalar), so that NEURITE_GEMM_PATH and <see cref="Gemm.ForcedPath"/> reach every path.</para>
/// </remarks>
public static class Recurrence
{
    /// <summary>
    /// y = the layer's hidden states [N, T, H] for x [N, T, F], with h₀ = c₀ = 0 unless <paramref name="initialHidden"/>
    /// (and, for an LSTM, <paramref name="initialCell"/>) [N, H] are given; <paramref name="reverse"/> runs from
    /// step T − 1 down to 0. Weights are PyTorch's: W_ih [G·H, F], W_hh [G·H, H], b_ih and b_hh [G·H].
    /// <paramref name="gates"/> and <paramref name="extra"/> receive what <see cref="Backward"/> reads; an LSTM's
    /// <paramref name="extra"/> holds each step's cell state c_t, [N, T, H]. <see cref="Backward"/> assumes a zero initial state.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="sizes"/> needs, or an LSTM is given h₀ without c₀.</exception>
    public static unsafe void Forward(RecurrentSizes sizes, bool reverse,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> y, Span<float> gates, Span<float> extra, Span<float> scratch,
        ReadOnlySpan<float> initialHidden = default, ReadOnlySpan<float> initialCell = default)
    {
        var (n, steps, f, h, gw) = (sizes.Batch, sizes.Steps, sizes.Input, sizes.Hidden, sizes.GateWidth);
        int rows = n * steps;
        CheckWeights(sizes, weightIh.Length, weightHh.Length, biasIh.Length, biasHh.Length, nameof(Forward));
        CheckLength(x.Length, rows * f, "x", nameof(Forward));
        CheckLength(y.Length, rows * h, "y", nameof(Forward));
        CheckLength(gates.Length, sizes.GatesLength, "gates", nameof(Forward));
        CheckLength(extra.Length, sizes.ExtraLength, "extra", nameof(Forward));
        CheckLength(scratch.Length, sizes.ForwardScratchLength, "scratch", nameof(Forward));
        bool initial = !initialHidden.IsEmpty;
        if (initial)
        {
            CheckLength(initialHidden.Length, n * h, "initialHidden", nameof(Forward));
            if (sizes.Cell == RecurrentCell.Lstm)
            {
                CheckLength(initialCell.Length, n * h, "initialCell", nameof(Forward));
            }
        }
        if (rows == 0)
        {
            return;
        }

        // The input projection of every step: P = x·W_ihᵀ + b_ih, the bias written first and accumulated onto.
        for (int r = 0; r < rows; r++)
        {
            biasIh.CopyTo(gates.Slice(r * gw, gw));
        }
        Gemm.Multiply(false, true, rows, gw, f, 1f, x, f, weightIh, f, 1f, gates, gw);

        var recurrent = scratch[..(n * gw)];
        var zero = scratch.Slice(n * gw, h);
        zero.Clear();
        fixed (float* py = y, pg = gates, pe = extra, pr = recurrent, pz = zero, pb = biasHh, ph0 = initialHidden, pc0 = initialCell)
        {
            // The state before the first step: rows of h₀ (and c₀; an RNN's and a GRU's pass does not read it) H apart, or a row of zeros.
            float* firstHidden = initial ? ph0 : pz, firstCell = initial && pc0 != null ? pc0 : firstHidden;
            nint firstStride = initial ? h : 0;
            for (int step = 0; step < steps; step++)
            {
                int t = reverse ? steps - 1 - step : step, previous = reverse ? t + 1 : t - 1;
                if (step == 0 && !initial)
                {
                    recurrent.Clear();
                }
                else if (step == 0)
                {
                    Gemm.Multiply(false, true, n, gw, h, 1f, initialHidden, h, weightHh, h, 0f, recurrent, gw);
                }
                else
                {
                    // h_{t−1}·W_hhᵀ: the rows of h_{t−1} lie T·H apart in y.
                    Gemm.Multiply(false, true, n, gw, h, 1f, y[(previous * h)..], steps * h, weightHh, h, 0f, recurrent, gw);
                }
                var plan = new StepPlan(sizes)
                {
                    Gates = pg + t * gw,
                    Recurrent = pr,
                    Bias = pb,
                    Previous = step == 0 ? firstHidden : py + previous * h,
                    PreviousCell = step == 0 ? firstCell : pe + previous * h,
                    PreviousStride = step == 0 ? firstStride : steps * h,
                    Extra = pe + t * h,
                    Output = py + t * h,
                };
                Run(sizes.Cell, &plan, backward: false);
            }
        }
    }

    /// <summary>
    /// Back-propagates ∂y (<paramref name="dy"/>, [N, T, H]) through the direction that <see cref="Forward"/> ran with
    /// the same sizes, inputs and outputs (y, gates, extra). Each gradient destination that is empty is skipped; the
    /// others are overwritten: ∂x [N, T, F], ∂W_ih, ∂W_hh, ∂b_ih, ∂b_hh.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="sizes"/> needs.</exception>
    public static unsafe void Backward(RecurrentSizes sizes, bool reverse,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh,
        ReadOnlySpan<float> y, ReadOnlySpan<float> gates, ReadOnlySpan<float> extra, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dWeightIh, Span<float> dWeightHh, Span<float> dBiasIh, Span<float> dBiasHh, Span<float> workspace)
    {
        var (n, steps, f, h, gw) = (sizes.Batch, sizes.Steps, sizes.Input, sizes.Hidden, sizes.GateWidth);
        int rows = n * steps;
        bool gru = sizes.Cell == RecurrentCell.Gru;
        CheckWeights(sizes, weightIh.Length, weightHh.Length, gw, gw, nameof(Backward));
        CheckLength(x.Length, rows * f, "x", nameof(Backward));
        CheckLength(y.Length, rows * h, "y", nameof(Backward));
        CheckLength(gates.Length, sizes.GatesLength, "gates", nameof(Backward));
        CheckLength(extra.Length, sizes.ExtraLength, "extra", nameof(Backward));
        CheckLength(dy.Length, rows * h, "dy", nameof(Backward));
        CheckOptional(dx.Length, rows * f, "dx");
        CheckOptional(dWeightIh.Length, weightIh.Length, "dWeightIh");
        CheckOptional(dWeightHh.Length, weightHh.Length, "dWeightHh");
        CheckOptional(dBiasIh.Length, gw, "dBiasIh");
        CheckOptional(dBiasHh.Length, gw, "dBiasHh");
        CheckLength(workspace.Length, sizes.BackwardWorkspaceLength, "workspace", nameof(Backward));

        // ∂a for the input projection, and (a GRU's candidate differs: r ⊙ ∂a_n) for the recurrent one.
        var dGates = workspace[..sizes.GatesLength];
        int offset = sizes.GatesLength;
        var dRecurrent = gru ? workspace.Slice(offset, sizes.GatesLength) : dGates;
        offset += gru ? sizes.GatesLength : 0;
        var previousStates = workspace.Slice(offset, rows * h);
        offset += rows * h;
        var dh = workspace.Slice(offset, n * h);
        var dc = workspace.Slice(offset + n * h, n * h);
        var zero = workspace.Slice(offset + 2 * n * h, h);
        dh.Clear();
        dc.Clear();
        zero.Clear();
        if (rows == 0)
        {
            dWeightIh.Clear();
            dWeightHh.Clear();
            dBiasIh.Clear();
            dBiasHh.Clear();
            return;
        }

        fixed (float* py = y, pg = gates, pe = extra, pdy = dy, pdh = dh, pdc = dc, pz = zero, pdg = dGates, pdr = dRecurrent)
        {
            for (int step = steps - 1; step >= 0; step--)
            {
                int t = reverse ? steps - 1 - step : step, previous = reverse ? t + 1 : t - 1;
                var plan = new StepPlan(sizes)
                {
                    Gates = pg + t * gw,
                    Previous = step == 0 ? pz : py + previous * h,
                    PreviousCell = step == 0 ? pz : pe + previous * h,
                    PreviousStride = step == 0 ? 0 : steps * h,
                    Extra = pe + t * h,
                    Output = py + t * h,
                    OutputGradient = pdy + t * h,
                    HiddenGradient = pdh,
                    CellGradient = pdc,
                    GatesGradient = pdg + t * gw,
                    RecurrentGradient = pdr + t * gw,
                };
                Run(sizes.Cell, &plan, backward: true);
                if (step > 0)
                {
                    // ∂h_{t−1} = ∂a_t·W_hh (a GRU adds it to the z ⊙ ∂h_t its pass left in dh).
                    Gemm.Multiply(false, false, n, h, gw, 1f, dRecurrent[(t * gw)..], steps * gw, weightHh, h, gru ? 1f : 0f, dh, h);
                }
            }
        }

        if (!dx.IsEmpty)
        {
            Gemm.Multiply(false, false, rows, f, gw, 1f, dGates, gw, weightIh, f, 0f, dx, f);
        }
        if (!dWeightIh.IsEmpty)
        {
            Gemm.Multiply(true, false, gw, f, rows, 1f, dGates, gw, x, f, 0f, dWeightIh, f);
        }
        if (!dBiasIh.IsEmpty)
        {
            Reductions.Sum(dGates, 1, rows, gw, dBiasIh);
        }
        if (!dWeightHh.IsEmpty)
        {
            // ∂W_hh = Σ_t ∂a_tᵀ·h_{t−1}: one GEMM over the states each step started from (zeros at the first step).
            for (int b = 0; b < n; b++)
            {
                for (int t = 0; t < steps; t++)
                {
                    int previous = reverse ? t + 1 : t - 1;
                    var destination = previousStates.Slice((b * steps + t) * h, h);
                    if (previous < 0 || previous >= steps)
                    {
                        destination.Clear();
                    }
                    else
                    {
                        y.Slice((b * steps + previous) * h, h).CopyTo(destination);
                    }
                }
            }
            Gemm.Multiply(true, false, gw, h, rows, 1f, dRecurrent, gw, previousStates, h, 0f, dWeightHh, h);
        }
        if (!dBiasHh.IsEmpty)
        {
            Reductions.Sum(dRecurrent, 1, rows, gw, dBiasHh);
        }
    }

    private static void CheckWeights(RecurrentSizes sizes, int weightIh, int weightHh, int biasIh, int biasHh, string op)
    {
        if (sizes.Batch < 0 || sizes.Steps < 0 || sizes.Input < 1 || sizes.Hidden < 1)
        {
            throw new ArgumentException($"Recurrence.{op}: invalid sizes {sizes}.");
        }
        CheckLength(weightIh, sizes.GateWidth * sizes.Input, "weightIh", op);
        CheckLength(weightHh, sizes.GateWidth * sizes.Hidden, "weightHh", op);
        CheckLength(biasIh, sizes.GateWidth, "biasIh", op);
        CheckLength(biasHh, sizes.GateWidth, "biasHh", op);
    }

    private static void CheckLength(int length, long needed, string span, string op)
    {
        if (length < needed)
        {
            throw new ArgumentException($"Recurrence.{op}: {span} has {length} elements, but the sizes need {needed}.", span);
        }
    }

    private static void CheckOptional(int length, int needed, string span)
    {
        if (length != 0)
        {
            CheckLength(length, needed, span, nameof(Backward));
        }
    }

    /// <summary>Below this many gate values a step's pass stays on one thread.</summary>
    private const int ParallelThreshold = 16 * 1024;

    private static unsafe void Run(RecurrentCell cell, StepPlan* plan, bool backward)
    {
        delegate*<void*, int, int, void> body = (cell, backward, Gemm.ActivePath) switch
        {
            (RecurrentCell.Lstm, false, GemmPath.Avx512) => &Forward<LstmCell, Lanes512>,
            (RecurrentCell.Lstm, false, GemmPath.Avx2) => &Forward<LstmCell, Lanes256>,
            (RecurrentCell.Lstm, false, _) => &Forward<LstmCell, Lane>,
            (RecurrentCell.Lstm, true, GemmPath.Avx512) => &Backward<LstmCell, Lanes512>,
            (RecurrentCell.Lstm, true, GemmPath.Avx2) => &Backward<LstmCell, Lanes256>,
            (RecurrentCell.Lstm, true, _) => &Backward<LstmCell, Lane>,
            (RecurrentCell.Gru, false, GemmPath.Avx512) => &Forward<GruCell, Lanes512>,
            (RecurrentCell.Gru, false, GemmPath.Avx2) => &Forward<GruCell, Lanes256>,
            (RecurrentCell.Gru, false, _) => &Forward<GruCell, Lane>,
            (RecurrentCell.Gru, true, GemmPath.Avx512) => &Backward<GruCell, Lanes512>,
            (RecurrentCell.Gru, true, GemmPath.Avx2) => &Backward<GruCell, Lanes256>,
            (RecurrentCell.Gru, true, _) => &Backward<GruCell, Lane>,
            (_, false, GemmPath.Avx512) => &Forward<RnnCell, Lanes512>,
            (_, false, GemmPath.Avx2) => &Forward<RnnCell, Lanes256>,
            (_, false, _) => &Forward<RnnCell, Lane>,
            (_, true, GemmPath.Avx512) => &Backward<RnnCell, Lanes512>,
            (_, true, GemmPath.Avx2) => &Backward<RnnCell, Lanes256>,
            (_, true, _) => &Backward<RnnCell, Lane>,
        };
        int batch = plan->Batch;
        int threads = Math.Min(Math.Min(Parallelism.MaxThreads, batch), (int)((long)batch * plan->GateWidth / (ParallelThreshold / 2)));
        if (threads < 2 || (long)batch * plan->GateWidth < ParallelThreshold || !Workers.TryRun(body, plan, batch, 1, threads))
        {
            body(plan, 0, batch);
        }
    }

    /// <summary>The forward pass of one step over batch rows [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Forward<TCell, T>(void* state, int start, int end)
        where TCell : struct, ICell
        where T : struct, ILanes<T>
    {
        var plan = (StepPlan*)state;
        int hidden = plan->Hidden;
        for (int b = start; b < end; b++)
        {
            var row = plan->Row(b);
            int j = 0;
            for (; j <= hidden - T.Count; j += T.Count)
            {
                TCell.Forward<T>(row, hidden, j);
            }
            for (; j < hidden; j++)
            {
                TCell.Forward<Lane>(row, hidden, j);
            }
        }
    }

    /// <summary>The backward pass of one step over batch rows [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Backward<TCell, T>(void* state, int start, int end)
        where TCell : struct, ICell
        where T : struct, ILanes<T>
    {
        var plan = (StepPlan*)state;
        int hidden = plan->Hidden;
        for (int b = start; b < end; b++)
        {
            var row = plan->Row(b);
            int j = 0;
            for (; j <= hidden - T.Count; j += T.Count)
            {
                TCell.Backward<T>(row, hidden, j);
            }
            for (; j < hidden; j++)
            {
                TCell.Backward<Lane>(row, hidden, j);
            }
        }
    }

    /// <summary>
    /// Where one step's rows lie, for batch row 0 and the step being run; rows of a step lie T·width apart (the
    /// recurrent product and ∂h, ∂c, which hold one step, H or G·H apart).
    /// </summary>
    private unsafe struct StepPlan(RecurrentSizes sizes)
    {
        public readonly int Batch = sizes.Batch, Hidden = sizes.Hidden, GateWidth = sizes.GateWidth;
        private readonly nint _sequenceStride = (nint)sizes.Steps * sizes.Hidden, _gatesStride = (nint)sizes.Steps * sizes.GateWidth;

        /// <summary>The step's gates: pre-activations in, activations out (forward); read (backward).</summary>
        public float* Gates;

        /// <summary>h_{t−1}·W_hhᵀ of the step, one row of G·H per batch row.</summary>
        public float* Recurrent;

        public float* Bias;

        /// <summary>h_{t−1} and c_{t−1}: rows of y and extra, or a row of zeros (stride 0) at the first step.</summary>
        public float* Previous, PreviousCell;

        public nint PreviousStride;

        /// <summary>The step's c (LSTM) or W_hn·h + b_hn (GRU).</summary>
        public float* Extra;

        /// <summary>The step's h.</summary>
        public float* Output;

        /// <summary>∂y of the step.</summary>
        public float* OutputGradient;

        /// <summary>∂h and ∂c carried from the step after: in, the gradient reaching this step's h and c; out, ∂c_{t−1} (and a GRU's z ⊙ ∂h).</summary>
        public float* HiddenGradient, CellGradient;

        /// <summary>∂ of the input-projection and recurrent pre-activations (the same for RNN and LSTM).</summary>
        public float* GatesGradient, RecurrentGradient;

        public readonly Row Row(int b)
        {
            nint sequence = b * _sequenceStride, gates = b * _gatesStride;
            return new Row
            {
                Gates = Gates + gates,
                Recurrent = Recurrent + (nint)b * GateWidth,
                Bias = Bias,
                Previous = Previous + b * PreviousStride,
                PreviousCell = PreviousCell + b * PreviousStride,
                Extra = Extra + sequence,
                Output = Output + sequence,
                OutputGradient = OutputGradient + sequence,
                HiddenGradient = HiddenGradient + (nint)b * Hidden,
                CellGradient = CellGradient + (nint)b * Hidden,
                GatesGradient = GatesGradient + gates,
                RecurrentGradient = RecurrentGradient + gates,
            };
        }
    }

    /// <summary>The rows of one batch entry at one step (see <see cref="StepPlan"/>).</summary>
    private unsafe struct Row
    {
        public float* Gates, Recurrent, Bias, Previous, PreviousCell, Extra, Output;
        public float* OutputGradient, HiddenGradient, CellGradient, GatesGradient, RecurrentGradient;
    }

    /// <summary>A cell's fused step at hidden units j … j + lanes − 1.</summary>
    private interface ICell
    {
        static abstract void Forward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>;

        static abstract void Backward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>;
    }

    private readonly unsafe struct RnnCell : ICell
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Forward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T> =>
            T.Tanh(T.Load(row.Gates + j) + T.Load(row.Recurrent + j) + T.Load(row.Bias + j)).Store(row.Output + j);

        /// <summary>∂a = (∂y + ∂h)·(1 − h²).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Backward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>
        {
            var h = T.Load(row.Output + j);
            var dh = T.Load(row.OutputGradient + j) + T.Load(row.HiddenGradient + j);
            (dh * (T.Of(1f) - h * h)).Store(row.GatesGradient + j);
        }
    }

    private readonly unsafe struct LstmCell : ICell
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Forward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>
        {
            float* g = row.Gates + j, r = row.Recurrent + j, b = row.Bias + j;
            var i = T.Sigmoid(T.Load(g) + T.Load(r) + T.Load(b));
            var f = T.Sigmoid(T.Load(g + hidden) + T.Load(r + hidden) + T.Load(b + hidden));
            var candidate = T.Tanh(T.Load(g + 2 * hidden) + T.Load(r + 2 * hidden) + T.Load(b + 2 * hidden));
            var o = T.Sigmoid(T.Load(g + 3 * hidden) + T.Load(r + 3 * hidden) + T.Load(b + 3 * hidden));
            var c = f * T.Load(row.PreviousCell + j) + i * candidate;
            i.Store(g);
            f.Store(g + hidden);
            candidate.Store(g + 2 * hidden);
            o.Store(g + 3 * hidden);
            c.Store(row.Extra + j);
            (o * T.Tanh(c)).Store(row.Output + j);
        }

        /// <summary>
        /// With ∂h = ∂y + ∂h_next and ∂c = ∂c_next + ∂h·o·(1 − tanh²c): ∂a_i = ∂c·g·i(1 − i), ∂a_f = ∂c·c_{t−1}·f(1 − f),
        /// ∂a_g = ∂c·i·(1 − g²), ∂a_o = ∂h·tanh c·o(1 − o); ∂c_{t−1} = ∂c·f.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Backward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>
        {
            float* g = row.Gates + j, d = row.GatesGradient + j;
            var (i, f, candidate, o) = (T.Load(g), T.Load(g + hidden), T.Load(g + 2 * hidden), T.Load(g + 3 * hidden));
            var one = T.Of(1f);
            var tanhC = T.Tanh(T.Load(row.Extra + j));
            var dh = T.Load(row.OutputGradient + j) + T.Load(row.HiddenGradient + j);
            var dc = T.Load(row.CellGradient + j) + dh * o * (one - tanhC * tanhC);
            (dc * candidate * i * (one - i)).Store(d);
            (dc * T.Load(row.PreviousCell + j) * f * (one - f)).Store(d + hidden);
            (dc * i * (one - candidate * candidate)).Store(d + 2 * hidden);
            (dh * tanhC * o * (one - o)).Store(d + 3 * hidden);
            (dc * f).Store(row.CellGradient + j);
        }
    }

    private readonly unsafe struct GruCell : ICell
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Forward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>
        {
            float* g = row.Gates + j, r = row.Recurrent + j, b = row.Bias + j;
            var reset = T.Sigmoid(T.Load(g) + T.Load(r) + T.Load(b));
            var update = T.Sigmoid(T.Load(g + hidden) + T.Load(r + hidden) + T.Load(b + hidden));
            var hn = T.Load(r + 2 * hidden) + T.Load(b + 2 * hidden);
            var candidate = T.Tanh(T.Load(g + 2 * hidden) + reset * hn);
            var previous = T.Load(row.Previous + j);
            reset.Store(g);
            update.Store(g + hidden);
            candidate.Store(g + 2 * hidden);
            hn.Store(row.Extra + j);
            // (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
            (candidate + update * (previous - candidate)).Store(row.Output + j);
        }

        /// <summary>
        /// With ∂h = ∂y + ∂h_next: ∂a_n = ∂h·(1 − z)·(1 − n²), ∂a_z = ∂h·(h_{t−1} − n)·z(1 − z),
        /// ∂a_r = ∂a_n·hn·r(1 − r); the recurrent candidate gets r ⊙ ∂a_n, and ∂h_{t−1} starts as z ⊙ ∂h.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Backward<T>(in Row row, int hidden, int j)
            where T : struct, ILanes<T>
        {
            float* g = row.Gates + j, d = row.GatesGradient + j, dr = row.RecurrentGradient + j;
            var (reset, update, candidate) = (T.Load(g), T.Load(g + hidden), T.Load(g + 2 * hidden));
            var one = T.Of(1f);
            var dh = T.Load(row.OutputGradient + j) + T.Load(row.HiddenGradient + j);
            var dn = dh * (one - update) * (one - candidate * candidate);
            var dz = dh * (T.Load(row.Previous + j) - candidate) * update * (one - update);
            var dReset = dn * T.Load(row.Extra + j) * reset * (one - reset);
            dReset.Store(d);
            dz.Store(d + hidden);
            dn.Store(d + 2 * hidden);
            dReset.Store(dr);
            dz.Store(dr + hidden);
            (dn * reset).Store(dr + 2 * hidden);
            (dh * update).Store(row.HiddenGradient + j);
        }
    }
}
