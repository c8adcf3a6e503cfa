using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neurite.Bench;

/// <summary>
/// A row of a comparison table: what the metric is, which way is better, and the issue's target: for the ratio, or
/// with <paramref name="OnValue"/> for Neurite's own value (the GC share).
/// </summary>
internal sealed record Metric(string Key, string Label, bool HigherIsBetter, double? Target, int TargetThreads = 2, bool OnValue = false);

/// <summary>
/// Neurite against PyTorch, side by side: each side runs in a process of its own that prints one JSON object
/// (<c>{"framework": …, "metrics": {key: [one value per repetition]}}</c>), with the machine's load printed before and
/// after it; the table shows medians [min-max] and the ratio Neurite / PyTorch, and every row goes to the results file.
/// </summary>
internal static class Comparison
{
    /// <summary>Prints the table's header and rows (the second side named <paramref name="referenceName"/>); returns the rows as JSON.</summary>
    public static JsonArray PrintTable(
        IReadOnlyList<Metric> metrics, IReadOnlyList<int> threadCounts, IReadOnlyDictionary<int, JsonNode> neurite, IReadOnlyDictionary<int, JsonNode>? pytorch,
        string referenceName = "PyTorch")
    {
        Console.WriteLine($"{"workload",-36} {"thr",3} | {"Neurite",-28} | {referenceName,-28} | {"ratio",5} | target");
        Console.WriteLine(new string('-', 122));
        var rows = new JsonArray();
        foreach (var metric in metrics)
        {
            foreach (int threads in threadCounts)
            {
                var a = Values(neurite[threads], metric.Key);
                var b = pytorch is null ? null : Values(pytorch[threads], metric.Key);
                if (a is null && b is null)
                {
                    continue;
                }
                double? ratio = a is not null && b is not null ? Median(a) / Median(b) : null;
                var (goal, met) = Verdict(metric, threads, metric.OnValue ? (a is null ? null : Median(a)) : ratio);
                string target = met is { } ok ? $"{goal} {(ok ? "met" : "MISSED")}" : goal;
                Console.WriteLine(
                    $"{metric.Label,-36} {threads,3} | {Format(a),-28} | {Format(b),-28} | {(ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "-"),5} | {target}");
                rows.Add(new JsonObject
                {
                    ["metric"] = metric.Key,
                    ["threads"] = threads,
                    ["higher_is_better"] = metric.HigherIsBetter,
                    ["neurite"] = Summary(a),
                    [referenceName.ToLowerInvariant().Replace(' ', '_')] = Summary(b),
                    ["ratio"] = ratio is { } value ? Math.Round(value, 3) : null,
                    ["target"] = goal.Length == 0 ? null : goal,
                    ["met"] = met,
                });
            }
        }
        return rows;
    }

    /// <summary>Writes <paramref name="json"/> to a temporary file, then renames it over <paramref name="path"/>.</summary>
    public static void WriteAtomically(string path, JsonNode json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>This benchmark program again, running <paramref name="args"/> in a process of its own.</summary>
    public static JsonNode RunSelf(IEnumerable<string> args)
    {
        string self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Comparison).Assembly.Location);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return RunJson(info, string.Join(' ', args));
    }

    /// <summary>
    /// A script of bench/reference/ under /usr/bin/python3, given PyTorch's best settings for <paramref name="threads"/>.
    /// </summary>
    public static JsonNode RunReference(string script, int threads, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(GemmBench.BenchDirectory(), "reference", script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // This machine's environment pins OpenBLAS to its Haswell (AVX2) kernels; drop that so it uses AVX-512.
        info.Environment.Remove("OPENBLAS_CORETYPE");
        info.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["OMP_WAIT_POLICY"] = "passive";
        return RunJson(info, $"bench/reference/{script}");
    }

    /// <summary>The median of a workload's values for <paramref name="key"/>, or null where it has none.</summary>
    public static double? MedianOf(JsonNode result, string key) => Values(result, key) is { } values ? Median(values) : null;

    /// <summary>Runs a process that prints one JSON object as its last line of output; returns that object.</summary>
    internal static JsonNode RunJson(ProcessStartInfo info, string name)
    {
        using var process = Process.Start(info)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} exited with {process.ExitCode}");
        }
        // The JSON object is the last line: anything printed before it (a warning) is not part of it.
        return JsonNode.Parse(stdout.TrimEnd().Split('\n')[^1])!;
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
}
