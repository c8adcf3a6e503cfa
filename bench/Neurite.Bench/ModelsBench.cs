using System.Globalization;
using System.Text.Json.Nodes;

namespace Neurite.Bench;

/// <summary>
/// `models [--threads 2] [--reps 5] [--no-reference] [--out FILE]`: the CNN rows of issue 11 (`cnn` on LeNet-5 and the
/// small VGG) and the sequence rows of issue 12 (`lstm`, `transformer`, `generate`), each workload on Neurite and on
/// PyTorch in processes of their own (bench/reference/cnn.py, lstm.py, transformer.py, generate.py), with the load
/// before and after each side; one table with the ratios and the issues' targets, and the rows in a JSON file.
/// </summary>
internal static class ModelsBench
{
    /// <summary>A workload: this program's command and options, and the reference script that does the same.</summary>
    private sealed record Workload(string Name, string[] Arguments, string Script);

    private static readonly Workload[] Workloads =
    [
        new("cnn lenet", ["cnn", "--net", "lenet"], "cnn.py"),
        new("cnn vgg", ["cnn", "--net", "vgg"], "cnn.py"),
        new("lstm", ["lstm"], "lstm.py"),
        new("transformer", ["transformer"], "transformer.py"),
        new("generate", ["generate"], "generate.py"),
    ];

    private static readonly Metric[] Metrics =
    [
        new("lenet_train_samples_per_s", "LeNet-5 train Adam b128, samples/s", true, 1.5),
        new("lenet_infer1_latency_us", "LeNet-5 infer batch 1, median µs", false, 0.5),
        new("lenet_infer128_samples_per_s", "LeNet-5 infer batch 128, samples/s", true, null),
        new("lenet_conv1_forward_gflops", "LeNet conv1 6@5×5 forward, GFLOP/s", true, null),
        new("lenet_conv1_train_gflops", "LeNet conv1 forward+backward, GFLOP/s", true, null),
        new("lenet_conv2_forward_gflops", "LeNet conv2 16@5×5 forward, GFLOP/s", true, null),
        new("lenet_conv2_train_gflops", "LeNet conv2 forward+backward, GFLOP/s", true, null),
        new("vgg_train_samples_per_s", "small VGG train Adam b128, samples/s", true, 1.5),
        new("vgg_infer1_latency_us", "small VGG infer batch 1, median µs", false, 0.5),
        new("vgg_infer128_samples_per_s", "small VGG infer batch 128, samples/s", true, null),
        new("vgg_conv1_forward_gflops", "VGG conv1 32@3×3 forward, GFLOP/s", true, null),
        new("vgg_conv1_train_gflops", "VGG conv1 forward+backward, GFLOP/s", true, null),
        new("vgg_conv2_forward_gflops", "VGG conv2 32@3×3 forward, GFLOP/s", true, null),
        new("vgg_conv2_train_gflops", "VGG conv2 forward+backward, GFLOP/s", true, null),
        new("vgg_conv3_forward_gflops", "VGG conv3 64@3×3 forward, GFLOP/s", true, null),
        new("vgg_conv3_train_gflops", "VGG conv3 forward+backward, GFLOP/s", true, null),
        new("vgg_conv4_forward_gflops", "VGG conv4 64@3×3 forward, GFLOP/s", true, null),
        new("vgg_conv4_train_gflops", "VGG conv4 forward+backward, GFLOP/s", true, null),
        new("lstm_train_samples_per_s", "LSTM 2×128 T32 b64 train, samples/s", true, 1.5),
        new("transformer_train_samples_per_s", "Transformer D128 T64 b32 train, samples/s", true, 1.0),
        new("generate_chars_per_s", "char LSTM 2×256 generation, chars/s", true, null),
    ];

    public static int Run(string[] args)
    {
        int[] threadCounts = [2];
        int reps = 5;
        bool reference = true;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "models.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threadCounts = [.. args[++i].Split(',').Select(int.Parse)]; break;
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-reference": reference = false; break;
                case "--out": output = args[++i]; break;
                default:
                    Console.Error.WriteLine($"models: unknown option {args[i]}");
                    return 2;
            }
        }

        var neurite = threadCounts.ToDictionary(threads => threads, _ => new JsonObject());
        var pytorch = threadCounts.ToDictionary(threads => threads, _ => new JsonObject());
        foreach (int threads in threadCounts)
        {
            foreach (var workload in Workloads)
            {
                string[] common = ["--threads", threads.ToString(CultureInfo.InvariantCulture), "--reps", reps.ToString(CultureInfo.InvariantCulture), "--json"];
                Merge(neurite[threads], Machine.Measured(workload.Name, $"Neurite, {threads} thread(s)", () => Comparison.RunSelf([.. workload.Arguments, .. common])));
                if (reference)
                {
                    Merge(pytorch[threads], Machine.Measured(workload.Name, $"PyTorch, {threads} thread(s)",
                        () => Comparison.RunReference(workload.Script, threads, [.. workload.Arguments.Skip(1), .. common])));
                }
            }
        }

        string ours = (string)neurite[threadCounts[0]]["framework"]!;
        string theirs = reference ? (string)pytorch[threadCounts[0]]["framework"]! : "not run";
        Console.WriteLine($"{ours} against {theirs}; {Environment.ProcessorCount} cores; median [min-max] of {reps} repetitions");
        Console.WriteLine("Ratio = Neurite / PyTorch; targets (issues 11 and 12) apply at 2 threads. Convolutions at batch 128, 2 FLOPs per");
        Console.WriteLine("multiply–accumulate; this machine's FMA peak is about 229 GFLOP/s per core.");
        Console.WriteLine();
        var rows = Comparison.PrintTable(
            Metrics, threadCounts,
            neurite.ToDictionary(pair => pair.Key, pair => (JsonNode)pair.Value),
            reference ? pytorch.ToDictionary(pair => pair.Key, pair => (JsonNode)pair.Value) : null);
        Comparison.WriteAtomically(output, new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["processors"] = Environment.ProcessorCount,
            ["neurite"] = ours,
            ["pytorch"] = theirs,
            ["repetitions"] = reps,
            ["results"] = rows,
        });
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>Adds one workload's framework and metrics to those of a side.</summary>
    private static void Merge(JsonObject side, JsonNode result)
    {
        side["framework"] ??= result["framework"]!.DeepClone();
        if (side["metrics"] is not JsonObject metrics)
        {
            side["metrics"] = metrics = [];
        }
        foreach (var (key, values) in result["metrics"]!.AsObject())
        {
            metrics[key] = values!.DeepClone();
        }
    }
}
