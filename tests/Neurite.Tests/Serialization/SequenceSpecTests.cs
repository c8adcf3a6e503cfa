using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Serialization;

/// <summary>
/// The sequence layer types in a spec (embedding, rnn, lstm, gru, mean_pool, last_step, repeat): shapes, summaries,
/// errors, and a small LSTM trained on a per-step task through the Trainer, saved and loaded by state-dict names.
/// </summary>
public class SequenceSpecTests
{
    /// <summary>Ids 0…4 in, at each step the id of the step before out (0 at the first): it needs the recurrence.</summary>
    private const string TaggerJson = """
        {"input": [6], "layers": [
          {"type": "embedding", "num": 5, "dim": 4},
          {"type": "lstm", "hidden": 16, "return_sequences": true},
          {"type": "linear", "out": 5}
        ], "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.02}}
        """;

    private static Dataset DelayTask(int count, ulong seed)
    {
        var rng = new Generator(seed);
        var ids = new float[count * 6];
        var targets = new float[count * 6];
        for (int i = 0; i < count; i++)
        {
            for (int t = 0; t < 6; t++)
            {
                ids[i * 6 + t] = rng.NextInt(5);
                targets[i * 6 + t] = t == 0 ? 0 : ids[i * 6 + t - 1];
            }
        }
        return new Dataset(Tensor.From(ids, [count, 6]), Tensor.From(targets, [count, 6]), TaskKind.Classification);
    }

    [Fact]
    public void A_small_lstm_parses_summarizes_trains_per_step_and_reloads_by_state_dict_names()
    {
        var spec = ModelSpec.Parse(TaggerJson);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        Assert.Equal([[6, 4], [6, 16], [6, 5]], spec.OutputShapes());

        // embedding 5·4; lstm 4·16·(4 + 16) + 2·4·16; linear 16·5 + 5.
        var summary = spec.Summarize();
        Assert.Equal([20L, 1408L, 85L], summary.Layers.Select(layer => layer.Params));
        // lstm per sample: 6 steps · 4 gates · 16 units · (4 inputs + 16 recurrent); linear 6 · 16 · 5.
        Assert.Equal([0L, 7680L, 480L], summary.Layers.Select(layer => layer.MultiplyAccumulates));
        Assert.Equal("lstm(hidden=16, layers=1, bidirectional=false, return_sequences=true, dropout=0)", summary.Layers[1].Description);

        var model = spec.Build(new Generator(1));
        Assert.Equal(
            ["0.weight", "1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0", "2.weight", "2.bias"],
            model.StateDict().Keys);

        var train = DelayTask(256, 2);
        var test = DelayTask(64, 3);
        var objective = spec.Loss!.Objective();
        DataPreparation.CheckOutputs(spec, train, objective);
        var trainer = new Trainer(model, objective, spec.Optimizer!.Build(model.Parameters()));
        double before = trainer.Evaluate(test).Loss;
        var fit = trainer.Fit(new DataLoader(train, 32, shuffle: true, seed: 4), test, 15);
        var after = trainer.Evaluate(test);
        Assert.Equal(StopReason.Completed, fit.Reason);
        Assert.True(after.Loss < before / 4, $"loss {before} → {after.Loss}");
        Assert.True(after.Classification!.Accuracy > 0.9, $"accuracy per step {after.Classification.Accuracy}");
        Assert.Equal(64 * 6, after.Classification.Count);

        string path = Path.Combine(Path.GetTempPath(), $"neurite-lstm-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(path, model, spec);
            var loaded = ModelFile.Load(path);
            Assert.Equal(spec, loaded.Spec);
            Assert.Equal(trainer.Predict(test.Features).ToArray(), new Trainer(loaded.Module, objective).Predict(test.Features).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Shapes_through_sequence_layers()
    {
        var spec = ModelSpec.Parse("""
            {"input": [7, 3], "layers": [
              {"type": "gru", "hidden": 5, "layers": 2, "bidirectional": true, "return_sequences": true},
              {"type": "linear", "out": 4},
              {"type": "mean_pool"},
              {"type": "repeat", "times": 2},
              {"type": "rnn", "hidden": 3, "bidirectional": true},
              {"type": "repeat", "times": 5},
              {"type": "last_step"}
            ]}
            """);
        Assert.Equal([[7, 10], [7, 4], [4], [2, 4], [6], [5, 6], [6]], spec.OutputShapes());
        // gru: 7 steps · 3 gates · 5 units · 2 directions · ((3 + 5) + (10 + 5)); rnn: 2 · 1 · 3 · 2 · (4 + 3).
        Assert.Equal(7 * 3 * 5 * 2 * (8 + 15), spec.Summarize().Layers[0].MultiplyAccumulates);
        Assert.Equal(2 * 3 * 2 * 7, spec.Summarize().Layers[4].MultiplyAccumulates);
        var model = spec.Build(new Generator(5));
        Assert.Equal([2, 6], model.Call(Tensor.Uniform([2, 7, 3], -1f, 1f, new Generator(6))).Shape.ToArray());
        Assert.Contains("0.weight_hh_l1_reverse", model.StateDict().Keys);
    }

    [Fact]
    public void Linear_on_a_sequence_applies_to_every_step()
    {
        var linear = (Linear)ModelSpec.Parse("""{"input": [3, 4], "layers": [{"type": "linear", "out": 2}]}""").Build(new Generator(7)).NamedChildren().Single().Value;
        var x = Tensor.Uniform([2, 3, 4], -1f, 1f, new Generator(8));
        var y = linear.Call(x);
        Assert.Equal([2, 3, 2], y.Shape.ToArray());
        for (int step = 0; step < 3; step++)
        {
            Assert.Equal(linear.Call(Ops.Select(x, 1, step)).ToArray(), Ops.Select(y, 1, step).ToArray());
        }
    }

    public static TheoryData<string, string> Errors => new()
    {
        { """{"input": [6, 3], "layers": [{"type": "lstm", "hidden": 0}]}""", "layers[0].hidden: expected a positive integer, got 0" },
        { """{"input": [6, 3], "layers": [{"type": "gru"}]}""", "layers[0].hidden: missing; expected a positive integer" },
        { """{"input": [6, 3], "layers": [{"type": "rnn", "hidden": 4, "layers": 0}]}""", "layers[0].layers: expected a positive integer, got 0" },
        { """{"input": [6, 3], "layers": [{"type": "lstm", "hidden": 4, "bidirectional": "yes"}]}""", "layers[0].bidirectional: expected true or false, got \"yes\"" },
        { """{"input": [16], "layers": [{"type": "linear", "out": 8}, {"type": "lstm", "hidden": 4}]}""", "layers[1]: lstm takes a sequence [steps, features] per sample, got [8]" },
        { """{"input": [2, 3, 4], "layers": [{"type": "gru", "hidden": 4}]}""", "layers[0]: gru takes a sequence [steps, features] per sample, got [2, 3, 4]" },
        { """{"input": [16], "layers": [{"type": "mean_pool"}]}""", "layers[0]: mean_pool takes a sequence [steps, features] per sample, got [16]" },
        { """{"input": [16], "layers": [{"type": "last_step"}]}""", "layers[0]: last_step takes a sequence [steps, features] per sample, got [16]" },
        { """{"input": [4, 16], "layers": [{"type": "repeat", "times": 3}]}""", "layers[0]: repeat takes a vector [features] per sample, got [4, 16]" },
        { """{"input": [16], "layers": [{"type": "repeat", "times": 0}]}""", "layers[0].times: expected a positive integer, got 0" },
        { """{"input": [6], "layers": [{"type": "embedding", "num": 0, "dim": 4}]}""", "layers[0].num: expected a positive integer or \"vocab\", got 0" },
        { """{"input": [6], "layers": [{"type": "embedding", "num": 5}]}""", "layers[0].dim: missing; expected a positive integer" },
        { """{"input": [6], "layers": [{"type": "embedding", "num": 100000, "dim": 100000}]}""", "layers[0].dim: a table of 100000 × 100000 weights is more than a tensor can hold" },
        { """{"input": [6, 3], "layers": [{"type": "lstm", "hidden": 4, "units": 4}]}""", "layers[0].units: unknown field; lstm takes type, hidden, layers, bidirectional, return_sequences, dropout" },
        { """{"input": [6, 3], "layers": [{"type": "lstm", "hidden": 4, "layers": 2, "dropout": 1}]}""", "layers[0].dropout: expected a number in [0, 1), got 1" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_error_names_the_json_path_and_the_sizes(string json, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"got \"{e.Message}\"");
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Embedding_ids_out_of_range_negative_or_fractional_are_named()
    {
        var embedding = new Embedding(5, 2);
        var e = Assert.Throws<ArgumentException>(() => embedding.Call(Tensor.From([[1f, 5f]])));
        Assert.Equal("Embedding(5, 2): id 5 at position [0, 1] is out of range for 5 embeddings (ids 0 to 4).", e.Message);
        e = Assert.Throws<ArgumentException>(() => embedding.Call(Tensor.From([[-1f, 0f]])));
        Assert.Equal("Embedding(5, 2): id -1 at position [0, 0] is negative.", e.Message);
        e = Assert.Throws<ArgumentException>(() => embedding.Call(Tensor.From([[0f, 2.5f]])));
        Assert.Equal("Embedding(5, 2): id 2.5 at position [0, 1] is not a whole number.", e.Message);
        e = Assert.Throws<ArgumentException>(() => embedding.Forward(IntTensor.From([3, 7])));
        Assert.Equal("Embedding(5, 2): id 7 at position [1] is out of range for 5 embeddings (ids 0 to 4).", e.Message);
        Assert.Equal(embedding.Call(Tensor.From([3f, 0f])).ToArray(), embedding.Forward(IntTensor.From([3, 0])).ToArray());
    }

    [Fact]
    public void Targets_per_step_need_outputs_per_step()
    {
        var data = DelayTask(8, 9);
        var objective = Objective.FromName("cross_entropy");
        var pooled = ModelSpec.Parse("""{"input": [6], "layers": [{"type": "embedding", "num": 5, "dim": 4}, {"type": "lstm", "hidden": 3}, {"type": "linear", "out": 5}]}""");
        var e = Assert.Throws<ArgumentException>(() => DataPreparation.CheckOutputs(pooled, data, objective));
        Assert.Equal("layers[2]: the data has one class per step of 6 steps, so the network must output [6, 5] per sample; it outputs [5]", e.Message);
        var binary = ModelSpec.Parse("""{"input": [6], "layers": [{"type": "embedding", "num": 5, "dim": 4}, {"type": "lstm", "hidden": 3, "return_sequences": true}, {"type": "linear", "out": 1}]}""");
        e = Assert.Throws<ArgumentException>(() => DataPreparation.CheckOutputs(binary,
            new Dataset(Tensor.Zeros([1, 6]), Tensor.From([[0f, 1f, 1f, 0f, 1f, 0f]]), TaskKind.Classification), Objective.FromName("bce")));
        Assert.Equal("loss: the data has one class per step (6 steps); bce takes one per sample, use cross_entropy or nll", e.Message);

        var perSample = new Dataset(Tensor.Zeros([4, 6]), Tensor.From([0f, 1f, 4f, 2f]), TaskKind.Classification);
        var tagger = ModelSpec.Parse(TaggerJson);
        e = Assert.Throws<ArgumentException>(() => DataPreparation.CheckOutputs(tagger, perSample, objective));
        Assert.Equal("layers[2]: the data has one class per sample, but the network outputs [6, 5] per sample; end a sequence model with mean_pool, last_step or return_sequences false", e.Message);

        e = Assert.Throws<ArgumentException>(() => objective.Loss(Tensor.Zeros([2, 6, 5]), Tensor.Zeros([2, 5])));
        Assert.Equal("cross_entropy: outputs [batch, steps, classes] [2, 6, 5] need targets [batch, steps] (one class per step); got [2, 5].", e.Message);
    }

    [Fact]
    public void An_lstm_classifies_whole_sequences_with_one_class_each()
    {
        // Class 1 when the sequence's values sum above 0.
        var rng = new Generator(10);
        var x = Tensor.Uniform([192, 5, 2], -1f, 1f, rng);
        var labels = Enumerable.Range(0, 192).Select(i => Enumerable.Range(0, 10).Sum(j => x.Data[i * 10 + j]) > 0 ? 1f : 0f).ToArray();
        var data = new Dataset(x, Tensor.From(labels), TaskKind.Classification);
        var spec = ModelSpec.Parse("""
            {"input": [5, 2], "layers": [{"type": "lstm", "hidden": 8, "bidirectional": true}, {"type": "linear", "out": 2}], "loss": "cross_entropy"}
            """);
        var model = spec.Build(new Generator(11));
        var trainer = new Trainer(model, spec.Loss!.Objective(), new Adam(model.Parameters(), new AdamOptions(Lr: 0.03)));
        DataPreparation.CheckOutputs(spec, data, trainer.Objective!);
        trainer.Fit(new DataLoader(data, 32, shuffle: true, seed: 12), null, 20);
        Assert.True(trainer.Evaluate(data).Classification!.Accuracy > 0.9);
    }
}
