using System.Globalization;
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

    /// <summary>
    /// ONNX's RNN, LSTM or GRU operator per layer, stacked, on the sequence transposed to time first (layout 0, which
    /// ONNX Runtime runs). The weights keep their state-dict names; Gather on their rows reorders PyTorch's gate
    /// blocks into ONNX's (LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h, with linear_before_reset = 1 as
    /// PyTorch computes n; an RNN has one block), Unsqueeze and Concat stack the directions, and B joins
    /// [b_ih, b_hh]. Y [T, D, N, H] becomes the next layer's input [T, N, D·H]; the output is the last layer's Y as
    /// [N, T, D·H] or its Y_h [D, N, H] as [N, D·H], the forward direction first.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var cell = Cells[Type];
        int directions = Bidirectional ? 2 : 1;
        int[]? order = cell switch { RecurrentCell.Lstm => [0, 3, 1, 2], RecurrentCell.Gru => [1, 0, 2], _ => null };
        string? rows = order is null ? null : onnx.Constant([.. order.SelectMany(block => Enumerable.Range(block * Hidden, Hidden)).Select(row => (long)row)]);
        string first = onnx.Constant([0L]);
        string Reordered(string weight) => rows is null ? onnx.Weight(weight) : onnx.Node("Gather", [onnx.Weight(weight), rows], OnnxAttribute.Of("axis", 0L));
        // One tensor per operator input, [D, …]: each direction's, given its state-dict suffix, on a new first axis.
        string Stacked(Func<string, string> direction)
        {
            string[] each = [.. Enumerable.Range(0, directions).Select(d => onnx.Node("Unsqueeze", [direction(d == 0 ? "" : "_reverse"), first]))];
            return each.Length == 1 ? each[0] : onnx.Node("Concat", each, OnnxAttribute.Of("axis", 0L));
        }
        var attributes = new List<OnnxAttribute> { OnnxAttribute.Of("hidden_size", (long)Hidden), OnnxAttribute.Of("direction", Bidirectional ? "bidirectional" : "forward") };
        if (cell == RecurrentCell.Gru)
        {
            attributes.Add(OnnxAttribute.Of("linear_before_reset", 1L));
        }
        string sequence = onnx.Node("Transpose", inputs, OnnxAttribute.Of("perm", [1L, 0L, 2L]));
        string[] outputs = [];
        for (int layer = 0; layer < Layers; layer++)
        {
            string l = string.Create(CultureInfo.InvariantCulture, $"_l{layer}");
            outputs = onnx.Node(OnnxOperator(cell), [sequence,
                Stacked(suffix => Reordered("weight_ih" + l + suffix)),
                Stacked(suffix => Reordered("weight_hh" + l + suffix)),
                Stacked(suffix => onnx.Node("Concat", [Reordered("bias_ih" + l + suffix), Reordered("bias_hh" + l + suffix)], OnnxAttribute.Of("axis", 0L)))],
                2, [.. attributes]);
            if (layer < Layers - 1)
            {
                sequence = Joined(onnx, outputs[0], [0, 2, 1, 3]);
            }
        }
        return ReturnSequences
            ? Joined(onnx, outputs[0], [2, 0, 1, 3])
            : onnx.Node("Reshape", [onnx.Node("Transpose", [outputs[1]], OnnxAttribute.Of("perm", [1L, 0L, 2L])), onnx.Constant([0L, -1L])]);
    }

    /// <summary>Y [T, D, N, H] transposed by <paramref name="perm"/>, its directions joined on the last axis (D·H).</summary>
    private static string Joined(OnnxExporter onnx, string y, long[] perm) =>
        onnx.Node("Reshape", [onnx.Node("Transpose", [y], OnnxAttribute.Of("perm", perm)), onnx.Constant([0L, 0L, -1L])]);

    private static string OnnxOperator(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => "LSTM",
        RecurrentCell.Gru => "GRU",
        _ => "RNN",
    };

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("hidden", Hidden);
        json.WriteNumber("layers", Layers);
        json.WriteBoolean("bidirectional", Bidirectional);
        json.WriteBoolean("return_sequences", ReturnSequences);
        json.WriteNumber("dropout", Dropout);
    }
}
