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
    /// <summary>
    /// A row of the table: what the metric is, which way is better, and the issue's target: for the ratio, or with
    /// <paramref name="OnValue"/> for Neurite's own value (the GC share).
    /// </summary>
    private sealed record Metric(string Key, string Label, bool HigherIsBetter, double? Target, int TargetThreads = 2, bool OnValue = false);

    private static readonly Metric[] Metrics =
    [
        new("adam_train_samples_per_s", "MLP train Adam, samples/s", true, 1.5),
        new("sgd_train_samples_per_s", "MLP train SGD mom., samples/s", true, 1.5),
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
        Console.WriteLine("Ratio = Neurite / PyTorch; targets (issue 5) apply at 2 threads, the playground at 1.");
        Console.WriteLine();
        Console.WriteLine($"{"workload",-32} {"thr",3} | {"Neurite",-28} | {"PyTorch",-28} | {"ratio",5} | target");
        Console.WriteLine(new string('-', 118));
        var rows = new JsonArray();
        foreach (var metric in Metrics)
        {
            foreach (int threads in threadCounts)
            {
                var a = Values(neurite[threads], metric.Key);
                var b = reference ? Values(pytorch[threads], metric.Key) : null;
                if (a is null && b is null)
                {
                    continue;
                }
                double? ratio = a is not null && b is not null ? Median(a) / Median(b) : null;
                var (goal, met) = Verdict(metric, threads, metric.OnValue ? (a is null ? null : Median(a)) : ratio);
                string target = met is { } ok ? $"{goal} {(ok ? "met" : "MISSED")}" : goal;
                Console.WriteLine(
                    $"{metric.Label,-32} {threads,3} | {Format(a),-28} | {Format(b),-28} | {(ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "-"),5} | {target}");
                rows.Add(new JsonObject
                {
                    ["metric"] = metric.Key,
                    ["threads"] = threads,
                    ["higher_is_better"] = metric.HigherIsBetter,
                    ["neurite"] = Summary(a),
                    ["pytorch"] = Summary(b),
                    ["ratio"] = ratio is { } value ? Math.Round(value, 3) : null,
                    ["target"] = goal.Length == 0 ? null : goal,
                    ["met"] = met,
                });
            }
        }

        var json = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["processors"] = Environment.ProcessorCount,
            ["neurite"] = ours,
            ["pytorch"] = theirs,
            ["repetitions"] = reps,
            ["results"] = rows,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        string temp = output + ".tmp";
        File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, output, overwrite: true);
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>The target of this row ("" where none applies) and whether the measured ratio (or value) meets it.</summary>
    private static (string Goal, bool? Met) Verdict(Metric metric, int threads, double? measured)
    {
        if (metric.Target is not { } target || threads != metric.TargetThreads)
        {
            return ("", null);
        }
        string goal = (metric.HigherIsBetter ? ">= " : "<= ") + target.ToString(CultureInfo.InvariantCulture) + (metric.OnValue ? " (value)" : "");
        return measured is { } m ? (goal, metric.HigherIsBetter ? m >= target : m <= target) : (goal, null);
    }

    private static List<double>? Values(JsonNode result, string key) =>
        result["metrics"]?[key]?.AsArray().Select(v => (double)v!).ToList();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Format(List<double>? values)
    {
        if (values is null)
        {
            return "-";
        }
        string F(double v) => v >= 1000 ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);
        return values.Count == 1 ? F(values[0]) : $"{F(Median(values))} [{F(values.Min())}-{F(values.Max())}]";
    }

    private static JsonObject? Summary(List<double>? values) => values is null ? null : new JsonObject
    {
        ["median"] = Math.Round(Median(values), 3),
        ["min"] = Math.Round(values.Min(), 3),
        ["max"] = Math.Round(values.Max(), 3),
        ["values"] = new JsonArray([.. values.Select(v => (JsonNode)Math.Round(v, 3))]),
    };

    /// <summary>This benchmark program again, as `mlp-worker`, in a process of its own.</summary>
    private static JsonNode RunWorker(int threads, int reps)
    {
        string self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(MlpBench).Assembly.Location);
        }
        foreach (var arg in new[] { "mlp-worker", "--threads", threads.ToString(), "--reps", reps.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        return RunJson(info, "mlp-worker");
    }

    /// <summary>bench/reference/mlp.py under /usr/bin/python3, given PyTorch's best settings for `threads`.</summary>
    private static JsonNode RunReference(int threads, int reps)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(GemmBench.BenchDirectory(), "reference", "mlp.py"));
        foreach (var arg in new[] { "--threads", threads.ToString(), "--reps", reps.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        // This machine's environment pins OpenBLAS to its Haswell (AVX2) kernels; drop that so it uses AVX-512.
        info.Environment.Remove("OPENBLAS_CORETYPE");
        info.Environment["OMP_NUM_THREADS"] = threads.ToString();
        info.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        info.Environment["OMP_WAIT_POLICY"] = "passive";
        return RunJson(info, "bench/reference/mlp.py");
    }

    private static JsonNode RunJson(ProcessStartInfo info, string name)
    {
        using var process = Process.Start(info)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} exited with {process.ExitCode}");
        }
        return JsonNode.Parse(stdout)!;
    }
}
