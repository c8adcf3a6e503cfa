using System.Text.Json.Nodes;
using Neurite.Tests.Support;

namespace Neurite.Tests.Cli;

/// <summary>
/// The sequence examples at reduced size through the command line (addition-rnn, kjv-lstm, kjv-transformer, sine-gru; the README has their
/// full-size figures), and <c>neurite generate</c>.
/// </summary>
public sealed class SequenceExampleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-sequences-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static string Spec(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

    private static (int Code, string Out, string Error) Run(params string[] args) => CommandLineHarness.Run(args);

    private static JsonObject LastJson(string output) => JsonNode.Parse(output.TrimEnd().Split('\n')[^1])!.AsObject();

    private static JsonObject Train(params string[] args)
    {
        var (code, output, error) = Run(["train", .. args, "--json"]);
        Assert.True(code == 0, error);
        return LastJson(output);
    }

    [Fact]
    public void The_addition_example_learns_to_add_at_reduced_size()
    {
        var result = Train(Spec("addition-rnn.json"), "--data", "addition:n=4000,test=300", "--epochs", "5", "--out", PathOf("addition.safetensors"));
        // Per step, chance is about one in ten; at full size (45,000 questions, 60 epochs) exact match reaches 0.999.
        Assert.True((double)result["test_accuracy"]! > 0.5, result.ToJsonString());
        Assert.NotNull(result["test_sequence_accuracy"]);
    }

    [Fact]
    public void The_sine_example_forecasts_the_next_value_at_reduced_size()
    {
        var result = Train(Spec("sine-gru.json"), "--data", "sine-series:n=1000,test=200,seq=32", "--epochs", "8", "--out", PathOf("sine.safetensors"));
        // The last value repeated scores about 0.04 (the targets' variance is about 0.29); the full run reaches 0.0036.
        Assert.True((double)result["test_loss"]! < 0.03, result.ToJsonString());
    }

    [Fact]
    public void The_bible_example_trains_on_a_small_text_and_generates_from_it()
    {
        string text = PathOf("verses.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat(
            "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void.\n", 60)));
        string model = PathOf("kjv.safetensors");
        var result = Train(Spec("kjv-lstm.json"), "--data", $"text:{text},seq=64", "--epochs", "3", "--batch-size", "8", "--out", model);
        // 25 characters: a uniform guess costs log2 25 = 4.6 bits each.
        Assert.True((double)result["test_bits_per_char"]! < 3.5, result.ToJsonString());

        var (code, output, error) = Run("generate", model, "--prompt", "In the ", "--length", "50", "--seed", "3", "--json");
        Assert.True(code == 0, error);
        var generated = LastJson(output);
        Assert.Equal(50, (int)generated["characters"]!);
        Assert.True((bool)generated["stateful"]!);
        Assert.Equal((string)generated["text"]!, (string)LastJson(Run("generate", model, "--prompt", "In the ", "--length", "50", "--seed", "3", "--json").Out)["text"]!);
        (code, output, _) = Run("generate", model, "--prompt", "In the ", "--length", "20", "--temperature", "0");
        Assert.Equal(0, code);
        Assert.StartsWith("In the ", output);
        Assert.Equal("In the ".Length + 20, output.TrimEnd('\n').Length);

        (code, _, error) = Run("generate", model, "--prompt", "Jesus", "--length", "5");
        Assert.Equal(1, code);
        Assert.Equal("neurite: --prompt: the character \"J\" at position 0 is not in the model's vocabulary of 25 characters", error.Trim());
    }

    [Fact]
    public void The_bible_transformer_trains_on_a_small_text_and_generates_from_a_window()
    {
        string text = PathOf("verses-transformer.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat(
            "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void.\n", 60)));
        string model = PathOf("kjv-transformer.safetensors");
        var result = Train(Spec("kjv-transformer.json"), "--data", $"text:{text},seq=64", "--epochs", "3", "--batch-size", "8", "--out", model);
        // 25 characters: a uniform guess costs log2 25 = 4.6 bits each.
        Assert.True((double)result["test_bits_per_char"]! < 3.5, result.ToJsonString());

        var (code, output, error) = Run("generate", model, "--prompt", "In the ", "--length", "30", "--seed", "3", "--json");
        Assert.True(code == 0, error);
        var generated = LastJson(output);
        Assert.Equal(30, (int)generated["characters"]!);
        // Attention has no state to carry: each character rereads the last 64.
        Assert.False((bool)generated["stateful"]!);
        Assert.Equal((string)generated["text"]!, (string)LastJson(Run("generate", model, "--prompt", "In the ", "--length", "30", "--seed", "3", "--json").Out)["text"]!);
    }

    [Fact]
    public void Generate_needs_a_model_with_a_vocabulary()
    {
        string model = PathOf("spirals.safetensors");
        Train(Spec("spirals.json"), "--epochs", "1", "--out", model);
        var (code, _, error) = Run("generate", model, "--prompt", "a");
        Assert.Equal(1, code);
        Assert.Equal($"neurite: {model}: no vocabulary (neurite.vocabulary) in the model file; generate needs a model trained on a text:PATH,seq=N source.", error.Trim());
    }
}
