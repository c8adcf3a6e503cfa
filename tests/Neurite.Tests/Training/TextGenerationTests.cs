using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>Sampling text from a character-level model: seeds, lengths, greedy decoding, top-k, prompts and the two ways of running.</summary>
public sealed class TextGenerationTests
{
    private static readonly string[] Vocabulary = ["\n", " ", "a", "b", "c", "d", "é"];

    private static (ModelSpec Spec, Module Model) Lstm(int window = 16) =>
        Build($$"""
            {"input": [{{window}}], "layers": [{"type": "embedding", "num": 7, "dim": 5}, {"type": "lstm", "hidden": 12, "layers": 2, "return_sequences": true},
             {"type": "tanh"}, {"type": "gru", "hidden": 8, "return_sequences": true}, {"type": "linear", "out": 7}]}
            """);

    private static (ModelSpec Spec, Module Model) Build(string json)
    {
        var spec = ModelSpec.Parse(json);
        var model = spec.Build(new Generator(4));
        // Larger logits than the initialization's, so that samples at temperature 1 differ from the arg-max.
        using (Graph.NoGrad())
        {
            foreach (var p in model.Parameters())
            {
                Ops.Mul(p, 3f).Data.CopyTo(p.Data);
            }
        }
        return (spec, model);
    }

    /// <summary>The logits after <paramref name="context"/>, computed on the whole context as training computes them.</summary>
    private static float[] LogitsAfter(Module model, IReadOnlyList<int> context)
    {
        using var _ = Graph.NoGrad();
        var y = model.Call(Tensor.From([.. context.Select(id => (float)id)], [1, context.Count]));
        return y.Data[^Vocabulary.Length..].ToArray();
    }

    private static List<int> Ids(string text) => [.. Neurite.Data.TextData.Characters(text).Select(c => Array.IndexOf(Vocabulary, c))];

    [Fact]
    public void A_recurrent_chain_runs_statefully_and_the_same_seed_writes_the_same_text()
    {
        var (spec, model) = Lstm();
        var generator = new TextGenerator(spec, model, Vocabulary);
        Assert.True(generator.Stateful);
        var options = new GenerationOptions(40, Temperature: 1, Seed: 7);
        string text = generator.Generate("ab", options);
        Assert.Equal(40, Neurite.Data.TextData.Characters(text).Length);
        Assert.Equal(text, generator.Generate("ab", options));
        Assert.NotEqual(text, generator.Generate("ab", options with { Seed = 8 }));
        Assert.Equal("", generator.Generate("ab", options with { Length = 0 }));
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void Greedy_decoding_takes_the_arg_max_of_the_logits_after_the_whole_context()
    {
        var (spec, model) = Lstm();
        var generator = new TextGenerator(spec, model, Vocabulary);
        string greedy = generator.Generate("dé a", new GenerationOptions(12, Temperature: 0));
        var context = Ids("dé a");
        foreach (string c in Neurite.Data.TextData.Characters(greedy))
        {
            var logits = LogitsAfter(model, context);
            Assert.Equal(Array.IndexOf(logits, logits.Max()), Array.IndexOf(Vocabulary, c));
            context.Add(Array.IndexOf(Vocabulary, c));
        }
        Assert.Equal(greedy, generator.Generate("dé a", new GenerationOptions(12, TopK: 1, Seed: 3)));
    }

    [Fact]
    public void Top_k_draws_only_among_the_k_most_likely()
    {
        var (spec, model) = Lstm();
        var generator = new TextGenerator(spec, model, Vocabulary);
        string text = generator.Generate("c", new GenerationOptions(30, Temperature: 2, TopK: 2, Seed: 5));
        var context = Ids("c");
        bool secondChosen = false;
        foreach (string c in Neurite.Data.TextData.Characters(text))
        {
            var ranked = LogitsAfter(model, context).Select((z, id) => (z, id)).OrderByDescending(p => p.z).Select(p => p.id).ToArray();
            int id = Array.IndexOf(Vocabulary, c);
            Assert.Contains(id, ranked[..2]);
            secondChosen |= id == ranked[1];
            context.Add(id);
        }
        Assert.True(secondChosen, "at temperature 2, the second most likely character is drawn some of the time");
    }

    [Fact]
    public void A_network_that_is_not_a_recurrent_chain_rereads_a_window()
    {
        var (spec, model) = Build("""
            {"input": [6], "layers": [{"type": "embedding", "num": 7, "dim": 4}, {"type": "gru", "hidden": 8, "bidirectional": true, "return_sequences": true},
             {"type": "linear", "out": 7}]}
            """);
        var generator = new TextGenerator(spec, model, Vocabulary);
        Assert.False(generator.Stateful);
        string greedy = generator.Generate("abcdabcd", new GenerationOptions(10, Temperature: 0));
        var context = Ids("abcdabcd");
        foreach (string c in Neurite.Data.TextData.Characters(greedy))
        {
            var logits = LogitsAfter(model, context[^6..]);
            Assert.Equal(Array.IndexOf(logits, logits.Max()), Array.IndexOf(Vocabulary, c));
            context.Add(Array.IndexOf(Vocabulary, c));
        }
    }

    [Fact]
    public void Prompts_options_and_models_that_do_not_fit_are_named()
    {
        var (spec, model) = Lstm();
        var generator = new TextGenerator(spec, model, Vocabulary);
        var e = Assert.Throws<ArgumentException>(() => generator.Generate("abz", new GenerationOptions(5)));
        Assert.Equal("--prompt: the character \"z\" at position 2 is not in the model's vocabulary of 7 characters", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate("", new GenerationOptions(5)));
        Assert.Equal("--prompt: empty; give at least one character for the model to continue", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate("a", new GenerationOptions(5, Temperature: -1)));
        Assert.Equal("--temperature: expected a finite number >= 0, got -1", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate("a", new GenerationOptions(5, TopK: 0)));
        Assert.Equal("--top-k: expected a positive integer, got 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TextGenerator(spec, model, Vocabulary[..5]));
        Assert.Equal("generate: a language model maps ids [T] to logits [T, 5] (one per character of its vocabulary); this one maps [16] to [16, 7].", e.Message);
    }
}
