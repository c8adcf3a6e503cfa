using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Neurite.Bench;

/// <summary>
/// `process [--reps 3] [--out FILE]`: issue 17's whole-process figures. `neurite train bench/process/fashion-mlp.json`
/// (5 epochs of the 784-256-128-10 MLP with Adam, batch 128, on Fashion-MNIST read from its gzip IDX files, evaluated,
/// its model, checkpoints, history and report written) against the plain PyTorch script that does the same
/// (bench/reference/train_process.py), each timed from process start to exit with its peak resident set; and the
/// start-up alone (`neurite --version` against `python3 -c "import torch"`). bench/reference/whole_process.py times
/// both sides the same way.
/// </summary>
internal static class ProcessBench
{
    private static readonly Metric[] Metrics =
    [
        new("process_wall_s", "neurite train 5 epochs, whole process, s", false, 0.5),
        new("process_peak_rss_mb", "its peak RSS, MB", false, 0.7),
        new("startup_wall_s", "start-up alone, s", false, null),
        new("startup_peak_rss_mb", "start-up peak RSS, MB", false, null),
    ];

    public static int Run(string[] args)
    {
        int reps = 3;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "process.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                default:
                    Console.Error.WriteLine($"process: unknown option {args[i]}");
                    return 2;
            }
        }
        string root = Path.GetDirectoryName(GemmBench.BenchDirectory())!;
        string cli = Path.Combine(root, "src", "Neurite.Cli", "bin", "Release", "net10.0", "Neurite.Cli.dll");
        Build(Path.Combine(root, "src", "Neurite.Cli"));
        string scratch = Directory.CreateTempSubdirectory("neurite-process-bench-").FullName;
        try
        {
            string[] common = ["--reps", reps.ToString(CultureInfo.InvariantCulture)];
            string neuriteName = $"Neurite {FileVersionInfo.GetVersionInfo(Path.Combine(Path.GetDirectoryName(cli)!, "Neurite.dll")).ProductVersion?.Split('+')[0]} (.NET {Environment.Version})";
            var neurite = Machine.Measured("process", "Neurite", () => Merge(
                Comparison.RunReference("whole_process.py", 2, ["--framework", neuriteName, "--metric-prefix", "process", .. common, "--",
                    "dotnet", cli, "train", Path.Combine(root, "bench", "process", "fashion-mlp.json"), "--out", Path.Combine(scratch, "neurite.safetensors")]),
                Comparison.RunReference("whole_process.py", 2, ["--framework", neuriteName, "--metric-prefix", "startup", .. common, "--", "dotnet", cli, "--version"])));
            var pytorch = Machine.Measured("process", "PyTorch", () => Merge(
                Comparison.RunReference("whole_process.py", 2, ["--framework", "PyTorch (python3 script)", "--metric-prefix", "process", .. common, "--",
                    "/usr/bin/python3", Path.Combine(root, "bench", "reference", "train_process.py"), "--out", Path.Combine(scratch, "torch.pt")]),
                Comparison.RunReference("whole_process.py", 2, ["--framework", "PyTorch (python3 script)", "--metric-prefix", "startup", .. common, "--",
                    "/usr/bin/python3", "-c", "import torch"])));

            Console.WriteLine($"{neuriteName} against PyTorch; {Environment.ProcessorCount} cores; median [min-max] of {reps} processes each");
            Console.WriteLine("Ratio = Neurite / PyTorch (lower is better); targets of issue 17. Wall time from process start to exit, peak RSS");
            Console.WriteLine("from the kernel (ru_maxrss); both read the gzip IDX files, train, evaluate and write their files.");
            Console.WriteLine();
            var rows = Comparison.PrintTable(Metrics, [2], new Dictionary<int, JsonNode> { [2] = neurite }, new Dictionary<int, JsonNode> { [2] = pytorch });
            Comparison.WriteAtomically(output, new JsonObject
            {
                ["date"] = DateTime.UtcNow.ToString("o"),
                ["processors"] = Environment.ProcessorCount,
                ["neurite"] = neuriteName,
                ["repetitions"] = reps,
                ["results"] = rows,
            });
            Console.WriteLine();
            Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The command-line tool in Release, as `./neurite` builds it on first use.</summary>
    private static void Build(string project)
    {
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "quiet", "-clp:ErrorsOnly"]) { UseShellExecute = false })!;
        build.WaitForExit();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build {project} exited with {build.ExitCode}");
        }
    }

    /// <summary>Two results of one side as one: the first one's framework, both one's metrics.</summary>
    private static JsonNode Merge(JsonNode first, JsonNode second)
    {
        var merged = first.DeepClone().AsObject();
        foreach (var (key, values) in second["metrics"]!.AsObject())
        {
            merged["metrics"]![key] = values!.DeepClone();
        }
        return merged;
    }
}
