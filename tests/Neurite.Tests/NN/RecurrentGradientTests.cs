using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Finite-difference gradient checks for the recurrent op and layers, the embedding and the sequence layers.</summary>
public sealed class RecurrentGradientTests
{
    public static TheoryData<RecurrentCell, bool> CellsAndDirections() => new()
    {
        { RecurrentCell.Rnn, false }, { RecurrentCell.Rnn, true },
        { RecurrentCell.Lstm, false }, { RecurrentCell.Lstm, true },
        { RecurrentCell.Gru, false }, { RecurrentCell.Gru, true },
    };

    [Theory]
    [MemberData(nameof(CellsAndDirections))]
    public void Recurrent_op_is_differentiable_in_its_input_and_weights(RecurrentCell cell, bool reverse)
    {
        int gates = new RecurrentSizes(cell, 0, 0, 1, 1).Gates, hidden = 3;
        Tensor[] inputs =
        [
            Input([2, 4, 2], 1, -1.5f, 1.5f),
            Input([gates * hidden, 2], 2, -0.8f, 0.8f),
            Input([gates * hidden, hidden], 3, -0.8f, 0.8f),
            Input([gates * hidden], 4, -0.5f, 0.5f),
            Input([gates * hidden], 5, -0.5f, 0.5f),
        ];
        Check(t => Ops.Recurrent(cell, t[0], t[1], t[2], t[3], t[4], reverse), inputs);
    }

    public static TheoryData<string, bool, bool> Layers() => new()
    {
        { "RNN", false, true }, { "RNN", true, false },
        { "LSTM", false, false }, { "LSTM", true, true }, { "LSTM", true, false },
        { "GRU", false, true }, { "GRU", true, false }, { "GRU", true, true },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Two_layers_are_differentiable_in_their_input_and_every_parameter(string cell, bool bidirectional, bool returnSequences)
    {
        var rng = new Generator(7);
        RecurrentBase module = cell switch
        {
            "RNN" => new RNN(2, 3, 2, bidirectional, returnSequences, rng),
            "LSTM" => new LSTM(2, 3, 2, bidirectional, returnSequences, rng),
            _ => new GRU(2, 3, 2, bidirectional, returnSequences, rng),
        };
        Tensor[] inputs = [Input([2, 3, 2], 8, -1.5f, 1.5f), .. module.Parameters()];
        Check(t => module.Call(t[0]), inputs);
    }

    [Fact]
    public void Embedding_is_differentiable_in_its_weight()
    {
        var embedding = new Embedding(5, 3, new Generator(9));
        var ids = Tensor.From([[4f, 0f, 4f], [2f, 2f, 1f]]);
        Check(_ => embedding.Call(ids), [embedding.Weight]);
    }

    [Fact]
    public void Sequence_layers_are_differentiable()
    {
        Check(t => new MeanPool().Call(t[0]), [Input([2, 4, 3], 10)]);
        Check(t => new LastStep().Call(t[0]), [Input([2, 4, 3], 11)]);
        Check(t => new RepeatVector(3).Call(t[0]), [Input([2, 4], 12)]);
    }

    [Fact]
    public void Dropout_between_layers_masks_the_first_layers_output_in_training_only()
    {
        var lstm = new LSTM(2, 3, 2, returnSequences: true, rng: new Generator(13), dropout: 0.4f);
        var x = Input([2, 5, 2], 14);
        var state = lstm.StateDict();

        // The same network taken apart: layer 0, dropout drawn from the generator the masks come from, layer 1.
        var first = new LSTM(2, 3, returnSequences: true);
        var second = new LSTM(3, 3, returnSequences: true);
        first.LoadStateDict(new Dictionary<string, Tensor> { ["weight_ih_l0"] = state["weight_ih_l0"], ["weight_hh_l0"] = state["weight_hh_l0"], ["bias_ih_l0"] = state["bias_ih_l0"], ["bias_hh_l0"] = state["bias_hh_l0"] });
        second.LoadStateDict(new Dictionary<string, Tensor> { ["weight_ih_l0"] = state["weight_ih_l1"], ["weight_hh_l0"] = state["weight_hh_l1"], ["bias_ih_l0"] = state["bias_ih_l1"], ["bias_hh_l0"] = state["bias_hh_l1"] });
        var generator = Assert.Single(lstm.Generators());
        generator.Reseed(15);
        var trained = lstm.Call(x);
        var masked = Dropout.Apply(first.Call(x), 0.4f, new Generator(15));
        Assert.Equal(second.Call(masked).ToArray(), trained.ToArray());
        Assert.Contains(0f, masked.ToArray());

        lstm.Eval();
        Assert.Equal(second.Call(first.Call(x)).ToArray(), lstm.Call(x).ToArray());
        Assert.Equal("LSTM(2, 3, num_layers=2, batch_first=True, dropout=0.4, return_sequences=True)", lstm.Describe());
        Assert.Empty(new LSTM(2, 3, 1, rng: new Generator(1), dropout: 0.4f).Generators());

        // With the mask fixed (the generator reseeded before each call), the network is differentiable as usual.
        lstm.Train();
        Check(t =>
        {
            generator.Reseed(16);
            return lstm.Call(t[0]);
        }, [Input([2, 3, 2], 17), .. lstm.Parameters()]);
    }
}
