using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.NN;

/// <summary>Running recurrent layers from a carried state, as PyTorch's lstm(x, (h_0, c_0)) → output, (h_n, c_n).</summary>
public sealed class RecurrentStateTests
{
    private static RecurrentBase Stack(string cell, bool returnSequences) => cell switch
    {
        "RNN" => new RNN(3, 4, 2, returnSequences: returnSequences, rng: new Generator(1)),
        "LSTM" => new LSTM(3, 4, 2, returnSequences: returnSequences, rng: new Generator(1)),
        _ => new GRU(3, 4, 2, returnSequences: returnSequences, rng: new Generator(1)),
    };

    [Theory]
    [InlineData("RNN")]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    public void A_sequence_fed_in_pieces_from_the_carried_state_gives_what_the_whole_gives(string cell)
    {
        var layers = Stack(cell, returnSequences: true);
        var x = Tensor.Uniform([2, 7, 3], -1.5f, 1.5f, new Generator(2));
        using var _ = Graph.NoGrad();
        var whole = layers.Call(x);
        var (fromZero, wholeState) = layers.Forward(x, null);
        Assert.Equal(whole.ToArray(), fromZero.ToArray());

        // Steps 0–2, then 3, then 4–6, each from the state the previous piece ended in.
        RecurrentState? state = null;
        var pieces = new List<Tensor>();
        foreach (var (start, end) in new[] { (0, 3), (3, 4), (4, 7) })
        {
            (var output, state) = layers.Forward(Ops.Slice(x, 1, start, end), state);
            pieces.Add(output);
        }
        var joined = Ops.Concat(pieces, 1).ToArray();
        Assert.Equal(whole.ToArray().Length, joined.Length);
        for (int i = 0; i < joined.Length; i++)
        {
            Assert.Equal(whole.ToArray()[i], joined[i], 5);
        }

        // h_n: each layer's last step; the last layer's is the output's last step. c_n only for an LSTM.
        Assert.Equal([2, 2, 4], state!.Hidden.Shape.ToArray());
        Assert.Equal(Ops.Select(whole, 1, -1).ToArray(), Ops.Select(wholeState.Hidden, 0, 1).ToArray());
        Assert.Equal(cell == "LSTM", state.Cell is not null);
        Assert.Equal(wholeState.Hidden.ToArray().Length, state.Hidden.ToArray().Length);
        for (int i = 0; i < state.Hidden.Count; i++)
        {
            Assert.Equal(wholeState.Hidden.ToArray()[i], state.Hidden.ToArray()[i], 5);
        }
    }

    [Fact]
    public void Without_return_sequences_the_output_is_the_last_layers_last_step()
    {
        var layers = Stack("LSTM", returnSequences: false);
        var x = Tensor.Uniform([2, 5, 3], -1f, 1f, new Generator(3));
        using var _ = Graph.NoGrad();
        var (output, state) = layers.Forward(x, null);
        Assert.Equal(layers.Call(x).ToArray(), output.ToArray());
        Assert.Equal(Ops.Select(state.Hidden, 0, 1).ToArray(), output.ToArray());
    }

    [Fact]
    public void A_state_is_for_inference_in_one_direction_with_fitting_shapes()
    {
        var lstm = Stack("LSTM", returnSequences: true);
        var x = Tensor.Zeros([2, 3, 3]);
        var e = Assert.Throws<InvalidOperationException>(() => lstm.Forward(x, null));
        Assert.Equal("LSTM: running from a given state has no backward; call it inside Graph.NoGrad() (it is for inference).", e.Message);
        using var _ = Graph.NoGrad();
        var a = Assert.Throws<ArgumentException>(() => lstm.Forward(x, new RecurrentState(Tensor.Zeros([2, 2, 4]), null)));
        Assert.Equal("LSTM(3, 4, num_layers=2, batch_first=True, return_sequences=True): for a batch of 2, the state must be h [2, 2, 4] and c [2, 2, 4]; got h [2, 2, 4].", a.Message);
        a = Assert.Throws<ArgumentException>(() => Stack("GRU", true).Forward(x, new RecurrentState(Tensor.Zeros([2, 1, 4]), null)));
        Assert.Equal("GRU(3, 4, num_layers=2, batch_first=True, return_sequences=True): for a batch of 2, the state must be h [2, 2, 4] without c; got h [2, 1, 4].", a.Message);
        e = Assert.Throws<InvalidOperationException>(() => new GRU(3, 4, bidirectional: true).Forward(x, null));
        Assert.StartsWith("GRU(3, 4, batch_first=True, bidirectional=True, return_sequences=False): a bidirectional layer cannot carry its state", e.Message);
    }
}
