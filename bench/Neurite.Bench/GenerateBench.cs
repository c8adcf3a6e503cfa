using System.Diagnostics;
using Neurite.Kernels;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Bench;

/// <summary>
/// `generate [--threads 2] [--vocab 73] [--embedding 64] [--hidden 256] [--layers 2] [--prompt 64] [--length 2000] [--reps 3] [--json]`:
/// language-model generation, the characters per second that <see cref="TextGenerator"/> writes at temperature 1 with a
/// character-level LSTM of examples/kjv-lstm.json's shape (random weights; the prompt run once, then one character a
/// step carrying the LSTM's state; with --json, one JSON object as `models` reads it). bench/reference/generate.py is the same loop in PyTorch.
/// </summary>
internal static class GenerateBench
{
    public static int Run(string[] args)
    {
        int threads = 2, vocab = 73, embedding = 64, hidden = 256, layers = 2, prompt = 64, length = 2000, reps = 3;
        bool json = false;
        var options = new OptionParser("generate")
            .Positive("--threads", v => threads = v).Positive("--vocab", v => vocab = v).Positive("--embedding", v => embedding = v)
            .Positive("--hidden", v => hidden = v).Positive("--layers", v => layers = v).Positive("--prompt", v => prompt = v)
            .Positive("--length", v => length = v).Positive("--reps", v => reps = v)
            .Flag("--json", () => json = true);
        if (!options.TryParse(args))
        {
            return 2;
        }
        Parallelism.MaxThreads = threads;

        var spec = ModelSpec.Parse($$"""
            {"input": [{{prompt}}], "layers": [{"type": "embedding", "num": {{vocab}}, "dim": {{embedding}}},
             {"type": "lstm", "hidden": {{hidden}}, "layers": {{layers}}, "return_sequences": true}, {"type": "linear", "out": {{vocab}}}]}
            """);
        // Characters from "!" on: printable, distinct, one UTF-16 unit each.
        string[] vocabulary = [.. Enumerable.Range(0, vocab).Select(i => ((char)('!' + i)).ToString())];
        var generator = new TextGenerator(spec, spec.Build(new Generator(1)), vocabulary);
        string context = string.Concat(Enumerable.Range(0, prompt).Select(i => vocabulary[i * 7 % vocab]));

        generator.Generate(context, new GenerationOptions(length / 4, Seed: 1)); // warm-up: the JIT's optimized code
        var rates = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            generator.Generate(context, new GenerationOptions(length, Seed: (ulong)r));
            rates.Add(length / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        if (json)
        {
            Console.WriteLine(BenchJson.Result(threads, new() { ["generate_chars_per_s"] = rates }));
            return 0;
        }
        rates.Sort();
        Console.WriteLine(
            $"generate: vocabulary {vocab}, embedding {embedding}, {layers} x LSTM {hidden}, prompt {prompt}, {length} characters, {threads} threads, " +
            $"{(generator.Stateful ? "stateful" : "window")}: {rates[rates.Count / 2]:F0} characters/s (median of {reps})");
        return 0;
    }
}
