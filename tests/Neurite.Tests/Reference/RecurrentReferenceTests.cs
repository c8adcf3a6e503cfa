using System.Text.Json;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Reference;

/// <summary>
/// torch.nn.RNN, LSTM and GRU (two layers, one or two directions, output or h_n), nn.Embedding, the sequence layers and
/// the per-step cross-entropy against PyTorch (tests/reference/recurrent.json, written by gen_recurrent.py). The
/// modules load PyTorch's weights by their state-dict names.
/// </summary>
public class RecurrentReferenceTests
{
    private const string File = "recurrent.json";

    public static TheoryData<string> RecurrentCases =>
        new(Fixture.CaseNameList(File).Where(name => name.StartsWith("rnn_", StringComparison.Ordinal)
            || name.StartsWith("lstm_", StringComparison.Ordinal) || name.StartsWith("gru_", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_layer_matches_torch(string name) => CheckCase(name);

    /// <summary>Builds the case's layer, loads PyTorch's weights into it and compares output and gradients.</summary>
    internal static void CheckCase(string name)
    {
        var c = Fixture.Case(File, name);
        var p = c.GetProperty("params");
        int input = p.GetProperty("input").GetInt32(), hidden = p.GetProperty("hidden").GetInt32(), layers = p.GetProperty("layers").GetInt32();
        bool bidirectional = p.GetProperty("bidirectional").GetBoolean(), sequences = p.GetProperty("return_sequences").GetBoolean();
        RecurrentBase module = p.GetProperty("cell").GetString() switch
        {
            "RNN" => new RNN(input, hidden, layers, bidirectional, sequences),
            "LSTM" => new LSTM(input, hidden, layers, bidirectional, sequences),
            _ => new GRU(input, hidden, layers, bidirectional, sequences),
        };
        CheckModule(c, module);
    }

    [Fact]
    public void Embedding_matches_torch()
    {
        var c = Fixture.Case(File, "embedding");
        var ids = c.GetProperty("params").GetProperty("ids").EnumerateArray().Select(row => row.EnumerateArray().Select(e => (float)e.GetInt32()).ToArray()).ToArray();
        CheckModule(c, new Embedding(6, 4), Tensor.From(ids));
    }

    [Theory]
    [InlineData("mean_pool")]
    [InlineData("last_step")]
    [InlineData("repeat")]
    public void Sequence_layer_matches_torch(string name)
    {
        Module module = name switch
        {
            "mean_pool" => new MeanPool(),
            "last_step" => new LastStep(),
            _ => new RepeatVector(4),
        };
        Fixture.CheckForwardAndBackward(Fixture.Case(File, name), t => module.Call(t["x"]));
    }

    [Fact]
    public void Cross_entropy_objective_over_steps_matches_torch()
    {
        var c = Fixture.Case(File, "cross_entropy_per_step");
        var classes = c.GetProperty("params").GetProperty("classes").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(e => (float)e.GetInt32()).ToArray()).ToArray();
        var objective = Objective.FromName("cross_entropy");
        Fixture.CheckForwardAndBackward(c, t => objective.Loss(t["logits"], Tensor.From(classes)));
    }

    /// <summary>
    /// Loads the case's state dict into <paramref name="module"/>, runs it on x (or <paramref name="ids"/>), and compares
    /// the output and the gradients of sum(output ⊙ upstream) for x and every parameter, by name.
    /// </summary>
    private static void CheckModule(JsonElement c, Module module, Tensor? ids = null)
    {
        string name = c.GetProperty("name").GetString()!;
        var inputs = Fixture.ReadTensors(c.GetProperty("inputs"));
        var x = ids ?? inputs["x"];
        x.RequiresGrad = ids is null;
        module.LoadStateDict(inputs.Where(entry => entry.Key != "x").ToDictionary());
        var output = module.Call(x);
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("output")), output, $"{name}: output");
        output.Backward(Fixture.ReadTensor(c.GetProperty("upstream")));
        var grads = Fixture.ReadTensors(c.GetProperty("grads"));
        var parameters = module.NamedParameters().ToDictionary();
        Assert.Equal(grads.Keys.Where(key => key != "x").Order(), parameters.Keys.Order());
        foreach (var (key, expected) in grads)
        {
            var actual = key == "x" ? x.Grad : parameters[key].Grad;
            Fixture.AssertClose(expected, actual, $"{name}: gradient of {key}");
        }
    }
}
