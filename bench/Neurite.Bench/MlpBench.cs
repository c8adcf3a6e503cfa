using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neurite.Bench;

/// <summary>
/// `mlp`: the workloads of issue 5 (Fashion-MNIST MLP training with Adam and with SGD, inference at batch 1 and 128,
/// a playground-sized network, GC share, peak RSS, test accuracy) on Neurite and on PyTorch in the same run, each
/// framework and thread count in a process of its own (`mlp-worker` and bench/reference/mlp.py). Prints one table with
/// medians [min-max] and the ratio Neurite / PyTorch, and writes bench/results/latest.json.
/// Options: --threads 1,2 --reps 3 --no-reference --out FILE.
/// </summary>
internal static class MlpBench
{
    private static readonly Metric[] Metrics =
    [
        new("adam_train_samples_per_s", "MLP train Adam, samples/s", true, 2.0),
        new("sgd_train_samples_per_s", "MLP train SGD mom., samples/s", true, 2.0),
        new("infer1_latency_us", "MLP infer batch 1, median µs", false, 0.4),
        new("infer128_samples_per_s", "MLP infer batch 128, samples/s", true, 1.5),
        new("playground_steps_per_s", "2-8-8-1 tanh train, steps/s", true, 10, TargetThreads: 1),
        new("adam_test_accuracy_percent", "test accuracy Adam, %", true, null),
        new("sgd_test_accuracy_percent", "test accuracy SGD, %", true, null),
        new("gc_share_percent", "GC share of training, %", false, 5, OnValue: true),
        new("peak_rss_mb", "peak RSS, MB", false, 1.0),
    ];

    public static int Run(string[] args)
    {
        int[] threadCounts = [1, 2];
        int reps = 3;
        bool reference = true;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "latest.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threadCounts = [.. args[++i].Split(',').Select(int.Parse)]; break;
                case "--reps": reps = int.Parse(args[++i]); break;
                case "--no-reference": reference = false; break;
                case "--out": output = args[++i]; break;
                default:
                    Console.Error.WriteLine($"mlp: unknown option {args[i]}");
                    return 2;
            }
        }

        var neurite = new Dictionary<int, JsonNode>();
        var pytorch = new Dictionary<int, JsonNode>();
        foreach (int threads in threadCounts)
        {
            neurite[threads] = Machine.Measured("mlp", $"Neurite, {threads} thread(s)", () => RunWorker(threads, reps));
            if (reference)
            {
                pytorch[threads] = Machine.Measured("mlp", $"PyTorch, {threads} thread(s)", () => RunReference(threads, reps));
            }
        }

        string ours = (string)neurite[threadCounts[0]]["framework"]!;
        string theirs = reference ? (string)pytorch[threadCounts[0]]["framework"]! : "not run";
        Console.WriteLine($"{ours} against {theirs}; {Environment.ProcessorCount} cores; median [min-max] of {reps} repetitions");
        Console.WriteLine("Ratio = Neurite / PyTorch; targets (issues 5 and 17) apply at 2 threads, the playground at 1.");
        Console.WriteLine();
        var rows = Comparison.PrintTable(Metrics, threadCounts, neurite, reference ? pytorch : null);

        var json = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["processors"] = Environment.ProcessorCount,
            ["neurite"] = ours,
            ["pytorch"] = theirs,
            ["repetitions"] = reps,
            ["results"] = rows,
        };
        Comparison.WriteAtomically(output, json);
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>This benchmark program again, as `mlp-worker`, in a process of its own.</summary>
    private static JsonNode RunWorker(int threads, int reps) =>
        Comparison.RunSelf(["mlp-worker", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--reps", reps.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>bench/reference/mlp.py, given PyTorch's best settings for `threads`.</summary>
    private static JsonNode RunReference(int threads, int reps) =>
        Comparison.RunReference("mlp.py", threads, ["--threads", threads.ToString(CultureInfo.InvariantCulture), "--reps", reps.ToString(CultureInfo.InvariantCulture)]);
}
