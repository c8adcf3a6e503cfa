using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `callgrind [--steps 10] [--inferences 200] [--products 200] [--out FILE]`: instructions executed, counted by
/// valgrind's callgrind, per Adam training step of the Fashion-MNIST MLP (784-256-128-10, batch 128), per batch-1
/// inference of it, and per 64³ SGEMM, on one thread. Unlike a time, the count does not depend on the machine's load
/// or clock, so a regression shows on any machine. Writes bench/results/callgrind.json.
/// </summary>
/// <remarks>
/// The worker (`callgrind-worker`) warms up every region first, then calls <see cref="Marker"/> (libc's getpgrp, which
/// the runtime itself never calls) before each measured region and after the last; `--dump-before=getpgrp` makes
/// callgrind write the counts since the previous dump at each call, so dump i+1 holds region i alone. The runtime runs
/// with tiered compilation off (every method compiled once, optimized, during the warm-up: nothing is compiled in the
/// background while a region runs), the non-concurrent collector, and a fixed gen0 budget (otherwise sized from the
/// cache, so collections would fall at machine-dependent steps). Valgrind does not run AVX-512, so the count is the
/// AVX2 path's; the JSON names the path.
/// </remarks>
internal static class CallgrindBench
{
    private const int BatchSize = 128;
    private const int WarmupRuns = 5;
    private const int GemmSize = 64;

    /// <summary>The measured regions, in the order the worker runs them.</summary>
    private static readonly (string Key, string Label)[] Regions =
    [
        ("mlp_train_step_adam", "MLP train step, Adam, batch 128"),
        ("mlp_infer_batch1", "MLP inference, batch 1"),
        ("gemm_64_nn", "SGEMM 64×64×64 NN"),
    ];

    public static int Run(string[] args)
    {
        int steps = 10, inferences = 200, products = 200;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "callgrind.json");
        var options = new OptionParser("callgrind")
            .Positive("--steps", v => steps = v).Positive("--inferences", v => inferences = v)
            .Positive("--products", v => products = v).Text("--out", v => output = v);
        if (!options.TryParse(args))
        {
            return 2;
        }
        string? valgrind = FindOnPath("valgrind");
        if (valgrind is null)
        {
            Console.Error.WriteLine("callgrind: valgrind is not on PATH (bench/run.sh callgrind installs it)");
            return 2;
        }

        var directory = Directory.CreateTempSubdirectory("neurite-callgrind-");
        bool keep = false;
        try
        {
            string outFile = Path.Combine(directory.FullName, "callgrind.out");
            var info = new ProcessStartInfo(valgrind) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[]
                {
                    "--tool=callgrind", $"--callgrind-out-file={outFile}", "--dump-before=getpgrp", "--dump-instr=no",
                    $"--log-file={Path.Combine(directory.FullName, "valgrind.log")}",
                })
            {
                info.ArgumentList.Add(arg);
            }
            string self = Environment.ProcessPath!;
            info.ArgumentList.Add(self);
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                info.ArgumentList.Add(typeof(CallgrindBench).Assembly.Location);
            }
            foreach (var arg in new[] { "callgrind-worker", "--steps", $"{steps}", "--inferences", $"{inferences}", "--products", $"{products}" })
            {
                info.ArgumentList.Add(arg);
            }
            info.Environment["DOTNET_TieredCompilation"] = "0";
            info.Environment["DOTNET_TieredPGO"] = "0";
            info.Environment["DOTNET_gcConcurrent"] = "0";
            info.Environment["DOTNET_GCgen0size"] = "0x4000000"; // 64 MiB, in hexadecimal as the runtime reads it
            info.Environment.Remove("NEURITE_GEMM_PATH");

            long start = Stopwatch.GetTimestamp();
            JsonNode worker;
            try
            {
                worker = Machine.Measured("callgrind", "Neurite under valgrind", () => Comparison.RunJson(info, "callgrind-worker under valgrind"));
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"callgrind: {e.Message}; see {Path.Combine(directory.FullName, "valgrind.log")}");
                keep = true;
                return 1;
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

            // Numbered dumps only: the pattern "callgrind.out.*" also matches the final "callgrind.out".
            var dumps = Directory.GetFiles(directory.FullName, "callgrind.out.*")
                .Where(file => int.TryParse(Path.GetExtension(file).TrimStart('.'), CultureInfo.InvariantCulture, out _)).ToArray();
            if (dumps.Length != Regions.Length + 1)
            {
                Console.Error.WriteLine(
                    $"callgrind: expected {Regions.Length + 1} dumps at getpgrp, found {dumps.Length} (something else called it): see {directory.FullName}");
                keep = true;
                return 1;
            }
            int[] counts = [steps, inferences, products];
            var results = new JsonObject();
            Console.WriteLine($"Instructions counted by callgrind ({Version(valgrind)}), {worker["framework"]}, 1 thread; {seconds:F0} s under valgrind");
            Console.WriteLine();
            Console.WriteLine($"{"region",-34} | {"instructions each",18} | runs");
            Console.WriteLine(new string('-', 64));
            for (int r = 0; r < Regions.Length; r++)
            {
                // Dump 1 is start-up and warm-up; dump r + 2 is region r.
                long total = Instructions(Path.Combine(directory.FullName, $"callgrind.out.{r + 2}"));
                long each = (long)Math.Round((double)total / counts[r]);
                Console.WriteLine($"{Regions[r].Label,-34} | {each,18:N0} | {counts[r]}");
                results[Regions[r].Key] = new JsonObject { ["instructions"] = each, ["runs"] = counts[r], ["total"] = total };
            }

            var json = new JsonObject
            {
                ["date"] = DateTime.UtcNow.ToString("o"),
                ["valgrind"] = Version(valgrind),
                ["neurite"] = (string?)worker["framework"],
                ["settings"] = "DOTNET_TieredCompilation=0 DOTNET_TieredPGO=0 DOTNET_gcConcurrent=0 DOTNET_GCgen0size=0x4000000, 1 thread",
                ["results"] = results,
            };
            Comparison.WriteAtomically(output, json);
            Console.WriteLine();
            Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
            return 0;
        }
        finally
        {
            if (!keep)
            {
                directory.Delete(recursive: true);
            }
        }
    }

    /// <summary>`callgrind-worker`: the regions of <see cref="Run"/>, each warmed up, then run between markers.</summary>
    public static int Worker(string[] args)
    {
        int steps = 10, inferences = 200, products = 200;
        var options = new OptionParser("callgrind-worker")
            .Positive("--steps", v => steps = v).Positive("--inferences", v => inferences = v).Positive("--products", v => products = v);
        if (!options.TryParse(args))
        {
            return 2;
        }
        Parallelism.MaxThreads = 1;
        var rng = new Generator(3);
        var model = MlpWorker.Mlp(seed: 1);
        var optimizer = new Adam(model.Parameters(), new AdamOptions(Lr: 1e-3));
        var inputs = Tensor.Uniform([BatchSize, 1, 28, 28], 0f, 1f, rng);
        var classes = IntTensor.From([.. Enumerable.Range(0, BatchSize).Select(i => i % 10)]);
        var inference = MlpWorker.Mlp(seed: 2);
        inference.Eval();
        var single = Tensor.Uniform([1, 1, 28, 28], 0f, 1f, rng);
        var a = Tensor.Uniform([GemmSize * GemmSize], -1f, 1f, rng).ToArray();
        var b = Tensor.Uniform([GemmSize * GemmSize], -1f, 1f, rng).ToArray();
        var c = new float[GemmSize * GemmSize];

        void Step()
        {
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Call(inputs), classes);
            loss.Backward();
            optimizer.Step();
        }
        void Infer()
        {
            using var _ = Graph.NoGrad();
            inference.Call(single);
        }
        void Multiply() => Gemm.Multiply(false, false, GemmSize, GemmSize, GemmSize, 1f, a, GemmSize, b, GemmSize, 0f, c, GemmSize);

        (Action Run, int Count)[] regions = [(Step, steps), (Infer, inferences), (Multiply, products)];
        foreach (var (run, _) in regions)
        {
            for (int i = 0; i < WarmupRuns; i++)
            {
                run();
            }
        }
        foreach (var (run, count) in regions)
        {
            Marker();
            for (int i = 0; i < count; i++)
            {
                run();
            }
        }
        Marker();
        Console.WriteLine(BenchJson.Result(1, new()));
        return 0;
    }

    /// <summary>libc's getpgrp: a call callgrind dumps its counts before (--dump-before=getpgrp).</summary>
    [DllImport("libc", EntryPoint = "getpgrp")]
    private static extern int Marker();

    /// <summary>The instruction count of one dump: its "summary:" (or "totals:") line.</summary>
    private static long Instructions(string dump)
    {
        foreach (var line in File.ReadLines(dump))
        {
            if (line.StartsWith("summary:", StringComparison.Ordinal) || line.StartsWith("totals:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidDataException($"{dump}: no summary: or totals: line");
    }

    private static string Version(string valgrind)
    {
        var info = new ProcessStartInfo(valgrind, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        string version = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return version;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
