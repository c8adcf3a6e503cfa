using System.Globalization;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A stack of recurrent layers over batch-first sequences (torch.nn.RNNBase with batch_first=True, h₀ = c₀ = 0):
/// input [N, T, F]; output [N, T, H·D] (PyTorch's <c>output</c>, D = 2 directions when bidirectional) when
/// <see cref="ReturnSequences"/>, else [N, H·D], the last layer's h_n with the forward direction first (the reverse
/// direction's h_n is its state after step 0). With <see cref="Dropout"/> p &gt; 0, each layer's output but the last's
/// goes through dropout in training, as PyTorch's <c>dropout</c> argument.
/// </summary>
/// <remarks>
/// Parameters under PyTorch's names, layer k and direction by direction: weight_ih_l{k} [G·H, F or H·D],
/// weight_hh_l{k} [G·H, H], bias_ih_l{k}, bias_hh_l{k} [G·H], the reverse direction's with the suffix _reverse;
/// all drawn from U(−1/√H, 1/√H) in that order, as PyTorch initializes them. Each layer-direction is one graph node
/// (<see cref="Ops.Recurrent"/>).
/// </remarks>
public abstract class RecurrentBase : Module
{
    private readonly Parameter[][] _weights;
    private readonly Generator? _dropoutRng;

    private protected RecurrentBase(RecurrentCell cell, int inputSize, int hiddenSize, int numLayers, bool bidirectional, bool returnSequences, Generator? rng, float dropout)
    {
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1)
        {
            throw new ArgumentException(
                $"{GetType().Name}: input size, hidden size and layers must be >= 1; got {inputSize}, {hiddenSize} and {numLayers}.");
        }
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentException($"{GetType().Name}: dropout must be in [0, 1); got {dropout}.", nameof(dropout));
        }
        rng ??= Generator.Default;
        (Cell, InputSize, HiddenSize, NumLayers, Bidirectional, ReturnSequences, Dropout) =
            (cell, inputSize, hiddenSize, numLayers, bidirectional, returnSequences, dropout);
        int directions = bidirectional ? 2 : 1;
        int gateWidth = new RecurrentSizes(cell, 0, 0, inputSize, hiddenSize).GateWidth;
        float bound = 1f / MathF.Sqrt(hiddenSize);
        _weights = new Parameter[numLayers * directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : hiddenSize * directions;
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(direction == 1 ? "_reverse" : "")}");
                _weights[layer * directions + direction] =
                [
                    Register("weight_ih" + suffix, Tensor.Uniform([gateWidth, layerInput], -bound, bound, rng)),
                    Register("weight_hh" + suffix, Tensor.Uniform([gateWidth, hiddenSize], -bound, bound, rng)),
                    Register("bias_ih" + suffix, Tensor.Uniform([gateWidth], -bound, bound, rng)),
                    Register("bias_hh" + suffix, Tensor.Uniform([gateWidth], -bound, bound, rng)),
                ];
            }
        }
        // The masks are drawn from the generator the weights came from, as the dropout layer's are.
        _dropoutRng = dropout > 0 && numLayers > 1 ? RegisterGenerator(rng) : null;
    }

    public RecurrentCell Cell { get; }

    public int InputSize { get; }

    public int HiddenSize { get; }

    public int NumLayers { get; }

    public bool Bidirectional { get; }

    /// <summary>Whether the output is every step's hidden state of the last layer ([N, T, H·D]) or only h_n ([N, H·D]).</summary>
    public bool ReturnSequences { get; }

    /// <summary>The dropout probability on the outputs of every layer but the last, in training (PyTorch's <c>dropout</c>).</summary>
    public float Dropout { get; }

    /// <exception cref="ArgumentException">x is not [N, T, InputSize] with T ≥ 1.</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 3 || x.Shape[2] != InputSize || x.Shape[1] < 1)
        {
            throw new ArgumentException($"{Describe()}: expected input [batch, steps, {InputSize}] with at least one step, got {Shapes.Format(x.Shape)}.");
        }
        int directions = Bidirectional ? 2 : 1;
        var sequence = x;
        Tensor forward = x, backward = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            forward = Direction(sequence, _weights[layer * directions], reverse: false);
            if (!Bidirectional)
            {
                sequence = forward;
            }
            else
            {
                backward = Direction(sequence, _weights[layer * directions + 1], reverse: true);
                sequence = Ops.Concat([forward, backward], 2);
            }
            if (_dropoutRng is not null && IsTraining && layer < NumLayers - 1)
            {
                sequence = NN.Dropout.Apply(sequence, Dropout, _dropoutRng);
            }
        }
        if (ReturnSequences)
        {
            return sequence;
        }
        var last = Ops.Select(forward, 1, -1);
        return Bidirectional ? Ops.Concat([last, Ops.Select(backward, 1, 0)], 1) : last;
    }

    /// <summary>
    /// Runs the layers from <paramref name="state"/> (zeros when null) and returns the output with the state after the
    /// last step, as PyTorch's <c>lstm(x, (h_0, c_0))</c> returns <c>output, (h_n, c_n)</c>: feeding a sequence in pieces,
    /// each from the state the previous one ended in, gives what the whole sequence gives. For inference only (inside
    /// <see cref="Graph.NoGrad"/>), e.g. generating text a character at a time; one direction only.
    /// </summary>
    /// <exception cref="ArgumentException">x is not [N, T, InputSize], or the state's shapes do not fit it.</exception>
    /// <exception cref="InvalidOperationException">The layers are bidirectional, or a graph is being recorded.</exception>
    public (Tensor Output, RecurrentState State) Forward(Tensor x, RecurrentState? state)
    {
        if (x.Rank != 3 || x.Shape[2] != InputSize || x.Shape[1] < 1)
        {
            throw new ArgumentException($"{Describe()}: expected input [batch, steps, {InputSize}] with at least one step, got {Shapes.Format(x.Shape)}.");
        }
        if (Bidirectional)
        {
            throw new InvalidOperationException($"{Describe()}: a bidirectional layer cannot carry its state from one piece of a sequence to the next; its reverse direction starts at the end.");
        }
        int n = x.Shape[0];
        bool lstm = Cell == RecurrentCell.Lstm;
        state ??= new RecurrentState(Tensor.Zeros([NumLayers, n, HiddenSize]), lstm ? Tensor.Zeros([NumLayers, n, HiddenSize]) : null);
        if (!Shapes.SameShape(state.Hidden.Shape, [NumLayers, n, HiddenSize]) || lstm != (state.Cell is not null)
            || (state.Cell is { } c && !Shapes.SameShape(c.Shape, [NumLayers, n, HiddenSize])))
        {
            throw new ArgumentException(
                $"{Describe()}: for a batch of {n}, the state must be h [{NumLayers}, {n}, {HiddenSize}]{(lstm ? $" and c [{NumLayers}, {n}, {HiddenSize}]" : " without c")}; got h {Shapes.Format(state.Hidden.Shape)}{(state.Cell is { } given ? $" and c {Shapes.Format(given.Shape)}" : "")}.");
        }
        var hidden = Tensor.Empty([NumLayers, n, HiddenSize]);
        var cells = lstm ? Tensor.Empty([NumLayers, n, HiddenSize]) : null;
        var sequence = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var w = _weights[layer];
            var (output, cell) = Ops.RecurrentFrom(Cell, sequence, w[0], w[1], w[2], w[3],
                Ops.Select(state.Hidden, 0, layer), state.Cell is null ? null : Ops.Select(state.Cell, 0, layer));
            Ops.Select(output, 1, -1).Data.CopyTo(Ops.Select(hidden, 0, layer).Data);
            cell?.Data.CopyTo(Ops.Select(cells!, 0, layer).Data);
            sequence = _dropoutRng is not null && IsTraining && layer < NumLayers - 1 ? NN.Dropout.Apply(output, Dropout, _dropoutRng) : output;
        }
        var final = new RecurrentState(hidden, cells);
        return (ReturnSequences ? sequence : Ops.Select(sequence, 1, -1), final);
    }

    private Tensor Direction(Tensor x, Parameter[] weights, bool reverse) =>
        Ops.Recurrent(Cell, x, weights[0], weights[1], weights[2], weights[3], reverse);

    /// <summary>As PyTorch prints it, e.g. "LSTM(32, 128, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True, return_sequences=True)".</summary>
    public override string Describe() =>
        $"{GetType().Name}({InputSize}, {HiddenSize}{(NumLayers > 1 ? $", num_layers={NumLayers}" : "")}, batch_first=True" +
        $"{(Dropout > 0 ? string.Create(CultureInfo.InvariantCulture, $", dropout={Dropout}") : "")}" +
        $"{(Bidirectional ? ", bidirectional=True" : "")}, return_sequences={(ReturnSequences ? "True" : "False")})";
}

/// <summary>
/// The state of a stack of recurrent layers between two pieces of a sequence, as PyTorch's (h_n, c_n): <paramref name="Hidden"/>
/// [layers, N, H], each layer's h after its last step, and for an LSTM <paramref name="Cell"/> [layers, N, H], its c (null otherwise).
/// </summary>
public sealed record RecurrentState(Tensor Hidden, Tensor? Cell);

/// <summary>Elman RNN with tanh, as torch.nn.RNN(batch_first=True): h′ = tanh(W_ih·x + b_ih + W_hh·h + b_hh).</summary>
public sealed class RNN(
    int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool returnSequences = false, Generator? rng = null, float dropout = 0)
    : RecurrentBase(RecurrentCell.Rnn, inputSize, hiddenSize, numLayers, bidirectional, returnSequences, rng, dropout);

/// <summary>
/// torch.nn.LSTM(batch_first=True), gates i, f, g, o: c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′), with
/// i, f, o = σ(W_i·x + b_i + W_h·h + b_h) and g = tanh(…) of their blocks of the weights.
/// </summary>
public sealed class LSTM(
    int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool returnSequences = false, Generator? rng = null, float dropout = 0)
    : RecurrentBase(RecurrentCell.Lstm, inputSize, hiddenSize, numLayers, bidirectional, returnSequences, rng, dropout);

/// <summary>
/// torch.nn.GRU(batch_first=True), gates r, z, n: n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)),
/// h′ = (1 − z) ⊙ n + z ⊙ h.
/// </summary>
public sealed class GRU(
    int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool returnSequences = false, Generator? rng = null, float dropout = 0)
    : RecurrentBase(RecurrentCell.Gru, inputSize, hiddenSize, numLayers, bidirectional, returnSequences, rng, dropout);
