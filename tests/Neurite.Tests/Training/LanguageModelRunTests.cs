using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>
/// Specs that read ids: "vocab" for the source's vocabulary size, the vocabulary saved in the model file, the metrics
/// of sequence models, integer-id and sequence CSV inputs, and the time limit.
/// </summary>
public sealed class LanguageModelRunTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-lm-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string CharSpec = """
        {"input": [8], "layers": [
          {"type": "embedding", "num": "vocab", "dim": 8},
          {"type": "lstm", "hidden": 32, "return_sequences": true},
          {"type": "linear", "out": "vocab"}
        ], "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.02}, "batch_size": 16, "epochs": 4,
        "metrics": ["bits_per_char", "sequence_accuracy"], "data": {"source": "text:tiny.txt,seq=8"}}
        """;

    [Fact]
    public void Vocab_stands_for_the_sources_vocabulary_size_and_is_an_error_without_one()
    {
        var spec = ModelSpec.Parse(CharSpec, vocabulary: 11);
        Assert.Equal(11, ((EmbeddingSpec)spec.Layers[0]).Num);
        Assert.Equal(11, ((LinearSpec)spec.Layers[2]).Out);
        Assert.Contains("\"num\": 11", spec.ToJson());
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));

        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(CharSpec, "lm.json"));
        Assert.Equal("lm.json: layers[0].num: \"vocab\" stands for the vocabulary size of the data source, but it has none (a text:PATH,seq=N source has one)", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(
            """{"input": [4], "nodes": [{"name": "e", "type": "embedding", "num": 5, "dim": 2}, {"name": "out", "type": "linear", "out": "vocab"}]}"""));
        Assert.StartsWith("nodes[1].out: \"vocab\" stands for", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(CharSpec.Replace("\"num\": \"vocab\"", "\"num\": \"vocabulary\""), vocabulary: 5));
        Assert.Equal("layers[0].num: expected a positive integer or \"vocab\", got \"vocabulary\"", e.Message);
    }

    [Fact]
    public void A_character_model_trains_on_a_text_and_its_file_keeps_the_vocabulary()
    {
        Write("tiny.txt", string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 40)));
        string specPath = Write("lm.json", CharSpec);

        // The spec's text path is relative to the spec's folder; "vocab" is its 11 characters (" .acehmnost").
        var spec = TrainingRun.LoadSpec(specPath);
        Assert.Equal(11, ((EmbeddingSpec)spec.Layers[0]).Num);
        Assert.Equal(
            "layers[0].num: \"vocab\" stands for the vocabulary size of the data source, but it has none (a text:PATH,seq=N source has one)",
            Assert.Throws<ModelSpecException>(() => TrainingRun.LoadSpec(specPath, "spirals")).Message.Split(": ", 2)[1]);

        string model = Path.Combine(_directory, "lm.safetensors");
        var run = TrainingRun.Create(spec, new RunOptions(ModelPath: model, SpecDirectory: _directory));
        var result = run.Execute();
        var test = result.Test!;
        // bits per character is the cross-entropy in bits; the repeated sentence is learned well within 4 epochs.
        Assert.Equal(test.Loss / Math.Log(2), test.Metrics!["bits_per_char"], 4);
        Assert.True(test.Metrics["bits_per_char"] < 1.0, $"{test.Metrics["bits_per_char"]} bits per character");
        Assert.Contains("val_bits_per_char", result.Fit.History[^1].Metrics!.Keys);
        Assert.EndsWith(",bits_per_char,sequence_accuracy,val_bits_per_char,val_sequence_accuracy", File.ReadLines(run.HistoryPath).First());

        var saved = TrainedModel.Load(model);
        Assert.Equal([" ", ".", "a", "c", "e", "h", "m", "n", "o", "s", "t"], saved.Vocabulary);
        Assert.Equal(saved.Vocabulary, saved.ClassNames);
        Assert.Equal(saved.Vocabulary, JsonNode.Parse(saved.Loaded.Metadata[ModelFile.VocabularyKey])!.AsArray().Select(n => (string)n!));
        Assert.Equal(test.Metrics["bits_per_char"], saved.Evaluator().Evaluate(run.Data.Test!).Metrics!["bits_per_char"], 6);
    }

    [Fact]
    public void An_embedding_smaller_than_the_vocabulary_is_named()
    {
        Write("tiny.txt", string.Concat(Enumerable.Repeat("abcdefghijklmnopqrstuvwxyz ", 10)));
        var spec = ModelSpec.Parse(CharSpec.Replace("\"num\": \"vocab\"", "\"num\": 5"), vocabulary: 27);
        var e = Assert.Throws<ArgumentException>(() => TrainingRun.Create(spec, new RunOptions(SpecDirectory: _directory, ModelPath: Path.Combine(_directory, "m.safetensors"))));
        Assert.Equal("layers[0].num: the data's ids are those of a vocabulary of 27, but the embedding has 5 rows (write \"vocab\" for the vocabulary size)", e.Message);
    }

    [Fact]
    public void Sequence_accuracy_counts_samples_whose_every_step_is_right()
    {
        var metric = new SequenceAccuracy();
        // Two samples of two steps over three classes: the first all right, the second wrong at its last step.
        var outputs = Tensor.From([1f, 0, 0, 0, 2, 0, 0, 0, 3, 0, 3, 1], [2, 2, 3]);
        metric.Update(outputs, Tensor.From([[0f, 1f], [2f, 2f]]));
        Assert.Equal(0.5, metric.Value);
        metric.Update(Tensor.From([[0f, 1f]]), Tensor.From([1f]));
        Assert.Equal(2.0 / 3, metric.Value, 12);
        metric.Reset();
        Assert.Equal(0, metric.Value);
        Assert.Throws<ArgumentException>(() => metric.Update(outputs, Tensor.From([0f, 1f])));
    }

    [Fact]
    public void Bits_per_character_is_the_cross_entropy_over_ln_2()
    {
        var rng = new Generator(3);
        var logits = Tensor.Uniform([3, 4, 5], -3f, 3f, rng);
        var targets = Tensor.From([.. Enumerable.Range(0, 12).Select(i => (float)(i * 7 % 5))], [3, 4]);
        var metric = MetricNames.Create("bits_per_char");
        metric.Update(logits, targets);
        double crossEntropy = Objective.FromName("cross_entropy").Loss(logits, targets).Item();
        Assert.Equal(crossEntropy / Math.Log(2), metric.Value, 5);
        Assert.Equal("unknown metric \"bpc\"; known: sequence_accuracy, bits_per_char", Assert.Throws<ArgumentException>(() => MetricNames.Create("bpc")).Message.Split(" (Parameter")[0]);
        Assert.Equal("metrics[0]: unknown metric \"bpc\"; known: sequence_accuracy, bits_per_char",
            Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}], "metrics": ["bpc"]}""")).Message);
    }

    [Fact]
    public void Csv_ids_are_checked_line_by_line_for_an_embedding()
    {
        string spec = """
            {"input": [3], "layers": [{"type": "embedding", "num": 4, "dim": 2}, {"type": "gru", "hidden": 3}, {"type": "linear", "out": 2}],
             "loss": "cross_entropy", "epochs": 1, "data": {"source": "ids.csv"}}
            """;
        void Train(string csv)
        {
            Write("ids.csv", csv);
            var parsed = TrainingRun.LoadSpec(Write("ids.json", spec));
            TrainingRun.Create(parsed, new RunOptions(SpecDirectory: _directory, ModelPath: Path.Combine(_directory, "ids.safetensors"))).Execute();
        }
        string path = Path.Combine(_directory, "ids.csv");

        Train("a,b,c,label\n0,1,2,0\n3,3,0,1\n");
        Assert.Equal($"{path} line 3, column \"b\": the id 4 is out of range for 4 embeddings (ids 0 to 3).",
            Assert.Throws<InvalidDataException>(() => Train("a,b,c,label\n0,1,2,0\n3,4,0,1\n")).Message);
        Assert.Equal($"{path} line 2, column \"c\": the id -1 is negative.",
            Assert.Throws<InvalidDataException>(() => Train("a,b,c,label\n0,1,-1,0\n")).Message);
        Assert.Equal($"{path} line 2, column \"a\": the id 1.5 is not a whole number.",
            Assert.Throws<InvalidDataException>(() => Train("a,b,c,label\n1.5,1,1,0\n")).Message);
    }

    [Fact]
    public void Csv_rows_are_reshaped_to_the_steps_and_features_of_a_sequence_input()
    {
        // Rows of 3 steps × 2 features, t0x, t0y, t1x, …: class 1 when the x values rise.
        var rng = new Generator(5);
        var lines = new List<string> { "t0x,t0y,t1x,t1y,t2x,t2y,label" };
        for (int i = 0; i < 200; i++)
        {
            float a = rng.NextFloat(), b = rng.NextFloat(), c = rng.NextFloat();
            bool rising = i % 2 == 0;
            var x = rising ? new[] { a, a + b, a + b + c } : [a + b + c, a + b, a];
            lines.Add(FormattableString.Invariant($"{x[0]},{rng.NextFloat()},{x[1]},{rng.NextFloat()},{x[2]},{rng.NextFloat()},{(rising ? 1 : 0)}"));
        }
        Write("rise.csv", string.Join('\n', lines));
        var spec = ModelSpec.Parse("""
            {"input": [3, 2], "layers": [{"type": "gru", "hidden": 8}, {"type": "linear", "out": 2}], "loss": "cross_entropy",
             "optimizer": {"type": "adam", "lr": 0.03}, "epochs": 15, "data": {"source": "rise.csv"}}
            """);
        var run = TrainingRun.Create(spec, new RunOptions(SpecDirectory: _directory, ModelPath: Path.Combine(_directory, "rise.safetensors")));
        Assert.Equal([3, 2], run.Data.Train.SampleShape.ToArray()); // the rows, reshaped as the run prepares its data
        run.Execute();
        Assert.True(run.Trainer.Evaluate(run.Data.Train).Classification!.Accuracy > 0.95);
    }

    [Fact]
    public void A_time_limit_stops_training_before_the_next_step_and_the_model_is_still_written()
    {
        string model = Path.Combine(_directory, "spirals.safetensors");
        var spec = ModelSpec.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}], "epochs": 1000, "data": {"source": "spirals:test=100"}}""");
        var run = TrainingRun.Create(spec, new RunOptions(ModelPath: model, TimeLimit: TimeSpan.Zero));
        var result = run.Execute();
        Assert.Equal(StopReason.TimeLimit, result.Fit.Reason);
        Assert.Equal("time limit of 0 s reached after 0 batches of epoch 1", result.Fit.Message);
        Assert.Equal(0, run.Trainer.Steps);
        Assert.NotNull(result.Test);
        Assert.True(File.Exists(model));
    }
}
