using System.Text.Json;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>rnn</c> (tanh), <c>lstm</c> and <c>gru</c>: torch.nn.RNN, LSTM and GRU (batch_first) over a sequence [T, F] per
/// sample. Fields: hidden (required), layers (1), bidirectional (false), return_sequences (false): true gives every
/// step's hidden state of the last layer, [T, hidden·directions]; false its h_n, [hidden·directions], the forward
/// direction first; dropout (0): in training, dropout on the outputs of every layer but the last, as PyTorch's. State dict as PyTorch's: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}[_reverse].
/// </summary>
public sealed record RecurrentSpec : LayerSpec
{
    private static readonly Dictionary<string, RecurrentCell> Cells = new()
    {
        ["rnn"] = RecurrentCell.Rnn,
        ["lstm"] = RecurrentCell.Lstm,
        ["gru"] = RecurrentCell.Gru,
    };

    /// <exception cref="ArgumentException"><paramref name="type"/> is not rnn, lstm or gru.</exception>
    public RecurrentSpec(string type, int hidden, int layers = 1, bool bidirectional = false, bool returnSequences = false, double dropout = 0)
    {
        if (!Cells.ContainsKey(type))
        {
            throw new ArgumentException($"RecurrentSpec: \"{type}\" is not one of {string.Join(", ", Cells.Keys)}.", nameof(type));
        }
        (Type, Hidden, Layers, Bidirectional, ReturnSequences, Dropout) = (type, hidden, layers, bidirectional, returnSequences, dropout);
    }

    internal static LayerType Definition(string type) => new(type, ["hidden", "layers", "bidirectional", "return_sequences", "dropout"], f => new RecurrentSpec(
        type, f.RequiredInt("hidden"), f.Int("layers", 1), f.Bool("bidirectional", false), f.Bool("return_sequences", false),
        f.Number("dropout", 0, Check.Probability, Check.ProbabilityText)));

    public override string Type { get; }

    public int Hidden { get; }

    public int Layers { get; }

    public bool Bidirectional { get; }

    public bool ReturnSequences { get; }

    public double Dropout { get; }

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.SequenceInput(Type);
        if (Hidden < 1)
        {
            throw context.Error("hidden", $"expected a positive integer, got {Hidden}");
        }
        if (Layers < 1)
        {
            throw context.Error("layers", $"expected a positive integer, got {Layers}");
        }
        if (!Check.Probability(Dropout))
        {
            throw context.Error("dropout", $"expected {Check.ProbabilityText}, got {Check.Format(Dropout)}");
        }
        long width = (long)Hidden * (Bidirectional ? 2 : 1), gates = new RecurrentSizes(Cells[Type], 0, 0, 1, 1).Gates * (long)Hidden;
        if (gates * Math.Max(input[1], width) > Array.MaxLength)
        {
            throw context.Error("hidden", $"a {Type} layer of {Hidden} units on {input[1]} features needs more weights than a tensor can hold ({Array.MaxLength})");
        }
        return ReturnSequences ? [input[0], (int)width] : [(int)width];
    }

    /// <summary>
    /// Per step, layer and direction, the gates' G·H dot products over the layer's input and over h:
    /// T·G·H·(F + H) for the first layer and T·G·H·(H·D + H) for each later one, times D directions.
    /// </summary>
    public override long MultiplyAccumulates(LayerContext context)
    {
        long steps = context.Input[0], gates = new RecurrentSizes(Cells[Type], 0, 0, 1, 1).Gates, directions = Bidirectional ? 2 : 1;
        long first = context.Input[1] + Hidden, later = Hidden * directions + Hidden;
        return steps * gates * Hidden * directions * (first + (Layers - 1) * later);
    }

    public override Module Build(LayerContext context, Generator rng)
    {
        int features = context.Input[1];
        return Cells[Type] switch
        {
            RecurrentCell.Lstm => new LSTM(features, Hidden, Layers, Bidirectional, ReturnSequences, rng, (float)Dropout),
            RecurrentCell.Gru => new GRU(features, Hidden, Layers, Bidirectional, ReturnSequences, rng, (float)Dropout),
            _ => new RNN(features, Hidden, Layers, Bidirectional, ReturnSequences, rng, (float)Dropout),
        };
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("hidden", Hidden);
        json.WriteNumber("layers", Layers);
        json.WriteBoolean("bidirectional", Bidirectional);
        json.WriteBoolean("return_sequences", ReturnSequences);
        json.WriteNumber("dropout", Dropout);
    }
}
