using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// One direction of one recurrent layer (torch.nn.RNN, LSTM or GRU with batch_first, h₀ = c₀ = 0): the hidden
    /// states y [N, T, H] for x [N, T, F], from step 0 up, or from step T − 1 down when <paramref name="reverse"/>
    /// (a bidirectional layer's second direction). Weights as PyTorch's: W_ih [G·H, F], W_hh [G·H, H], b_ih and b_hh
    /// [G·H], with G gate blocks (<see cref="RecurrentSizes.Gates"/>) in PyTorch's order.
    /// </summary>
    /// <remarks>
    /// One graph node: the backward pass runs back through time by hand (<see cref="Recurrence.Backward"/>), keeping
    /// only the gates and cell states of the forward pass. Like PyTorch without retain_graph, that state is freed by
    /// the first Backward through the node.
    /// </remarks>
    /// <exception cref="ArgumentException">x is not [N, T, F] with T ≥ 1, or a weight's shape does not fit.</exception>
    public static Tensor Recurrent(RecurrentCell cell, Tensor x, Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh, bool reverse = false)
    {
        var sizes = RecurrentSizesOf(cell, x, weightIh, weightHh, biasIh, biasHh);
        int n = sizes.Batch, steps = sizes.Steps, h = sizes.Hidden;
        var y = Tensor.Empty([n, steps, h]);
        var gates = BufferPool.Rent(sizes.GatesLength);
        var extra = BufferPool.Rent(sizes.ExtraLength);
        var scratch = BufferPool.Rent(sizes.ForwardScratchLength);
        Recurrence.Forward(sizes, reverse, x.Data, weightIh.Data, weightHh.Data, biasIh.Data, biasHh.Data, y.Data, gates, extra, scratch);
        BufferPool.Return(scratch);
        string name = CellName(cell);
        bool freed = false;
        Graph.RecordOp(y, name, [x, weightIh, weightHh, biasIh, biasHh], g =>
        {
            if (freed)
            {
                throw new InvalidOperationException(
                    $"{name}: Backward already ran through this layer and freed what it kept of the forward pass; run the forward pass again.");
            }
            var dx = x.RequiresGrad ? Tensor.Empty(x.Shape) : null;
            var dWeightIh = weightIh.RequiresGrad ? weightIh.GradientBuffer() : null;
            var dWeightHh = weightHh.RequiresGrad ? weightHh.GradientBuffer() : null;
            var dBiasIh = biasIh.RequiresGrad ? biasIh.GradientBuffer() : null;
            var dBiasHh = biasHh.RequiresGrad ? biasHh.GradientBuffer() : null;
            var workspace = BufferPool.Rent(sizes.BackwardWorkspaceLength);
            Recurrence.Backward(sizes, reverse, x.Data, weightIh.Data, weightHh.Data, y.Data, gates, extra, g.Data,
                dx is null ? default : dx.Data, dWeightIh is null ? default : dWeightIh.Data, dWeightHh is null ? default : dWeightHh.Data,
                dBiasIh is null ? default : dBiasIh.Data, dBiasHh is null ? default : dBiasHh.Data, workspace);
            BufferPool.Return(workspace);
            BufferPool.Return(gates);
            BufferPool.Return(extra);
            freed = true;
            return [dx, dWeightIh, dWeightHh, dBiasIh, dBiasHh];
        });
        if (y.GradFn is null)
        {
            // Nothing will run backward: what the forward pass kept for it can go.
            BufferPool.Return(gates);
            BufferPool.Return(extra);
        }
        return y;
    }

    /// <summary>
    /// One direction of one recurrent layer run forward from a given state, without recording a graph (inference, such as
    /// generating a sequence a step at a time): the hidden states y [N, T, H] for x [N, T, F] from h₀ =
    /// <paramref name="hidden"/> [N, H] and, for an LSTM, c₀ = <paramref name="cellState"/> [N, H]; and the LSTM's cell
    /// state after the last step, c_T [N, H] (null for an RNN or GRU). h_T is y's last step.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit, or an LSTM is given no cell state.</exception>
    /// <exception cref="InvalidOperationException">A graph is being recorded for an input that requires grad; this op has no backward.</exception>
    public static (Tensor Output, Tensor? CellState) RecurrentFrom(
        RecurrentCell cell, Tensor x, Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh, Tensor hidden, Tensor? cellState)
    {
        var sizes = RecurrentSizesOf(cell, x, weightIh, weightHh, biasIh, biasHh);
        int n = sizes.Batch, steps = sizes.Steps, h = sizes.Hidden;
        string name = CellName(cell);
        if (Graph.IsGradEnabled && (x.RequiresGrad || weightIh.RequiresGrad || weightHh.RequiresGrad || biasIh.RequiresGrad || biasHh.RequiresGrad
            || hidden.RequiresGrad || cellState?.RequiresGrad == true))
        {
            throw new InvalidOperationException($"{name}: running from a given state has no backward; call it inside Graph.NoGrad() (it is for inference).");
        }
        bool lstm = cell == RecurrentCell.Lstm;
        if (!Shapes.SameShape(hidden.Shape, [n, h]) || (lstm && (cellState is null || !Shapes.SameShape(cellState.Shape, [n, h]))))
        {
            throw new ArgumentException(
                $"{name}: for input {Shapes.Format(x.Shape)} and hidden size {h}, the state must be h [{n}, {h}]{(lstm ? $" and c [{n}, {h}]" : "")}; got h {Shapes.Format(hidden.Shape)}{(lstm ? $" and c {(cellState is null ? "none" : Shapes.Format(cellState.Shape))}" : "")}.");
        }
        var y = Tensor.Empty([n, steps, h]);
        var gates = BufferPool.Rent(sizes.GatesLength);
        var extra = BufferPool.Rent(sizes.ExtraLength);
        var scratch = BufferPool.Rent(sizes.ForwardScratchLength);
        Recurrence.Forward(sizes, reverse: false, x.Data, weightIh.Data, weightHh.Data, biasIh.Data, biasHh.Data, y.Data, gates, extra, scratch,
            hidden.Data, lstm ? cellState!.Data : default);
        Tensor? last = null;
        if (lstm)
        {
            last = Tensor.Empty([n, h]);
            for (int b = 0; b < n; b++)
            {
                extra.AsSpan(((b * steps) + steps - 1) * h, h).CopyTo(last.Data.Slice(b * h, h));
            }
        }
        BufferPool.Return(scratch);
        BufferPool.Return(gates);
        BufferPool.Return(extra);
        return (y, last);
    }

    private static string CellName(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => "LSTM",
        RecurrentCell.Gru => "GRU",
        _ => "RNN",
    };

    private static RecurrentSizes RecurrentSizesOf(RecurrentCell cell, Tensor x, Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh)
    {
        if (x.Rank != 3 || x.Shape[1] < 1)
        {
            throw new ArgumentException(
                $"{CellName(cell)}: expected input [batch, steps, features] with at least one step; got {Shapes.Format(x.Shape)}.");
        }
        if (weightHh.Rank != 2 || weightHh.Shape[1] < 1)
        {
            throw new ArgumentException($"{CellName(cell)}: weight_hh must be [gates·hidden, hidden]; got {Shapes.Format(weightHh.Shape)}.");
        }
        var sizes = new RecurrentSizes(cell, x.Shape[0], x.Shape[1], x.Shape[2], weightHh.Shape[1]);
        int gw = sizes.GateWidth;
        bool fits = Shapes.SameShape(weightIh.Shape, [gw, sizes.Input]) && Shapes.SameShape(weightHh.Shape, [gw, sizes.Hidden])
            && Shapes.SameShape(biasIh.Shape, [gw]) && Shapes.SameShape(biasHh.Shape, [gw]);
        if (!fits)
        {
            throw new ArgumentException(
                $"{CellName(cell)}: for input {Shapes.Format(x.Shape)} and hidden size {sizes.Hidden}, expected weight_ih [{gw}, {sizes.Input}], weight_hh [{gw}, {sizes.Hidden}], bias_ih and bias_hh [{gw}]; got {Shapes.Format(weightIh.Shape)}, {Shapes.Format(weightHh.Shape)}, {Shapes.Format(biasIh.Shape)} and {Shapes.Format(biasHh.Shape)}.");
        }
        return sizes;
    }
}
