using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Kernels;

namespace Neurite.Bench;

/// <summary>
/// `gemm`: GFLOP/s of <see cref="Gemm.Multiply"/> and of numpy's SGEMM (OpenBLAS) in the same run, square sizes,
/// 1 and 2 threads, plus a few non-square shapes. Options: --sizes 64,128 --shapes 1x256x784:NT,32x256x784:NN
/// --threads 1,2 --reps 5 --seconds 0.1 --no-reference --out FILE.
/// </summary>
internal static class GemmBench
{
    private sealed record Case(int M, int N, int K, string Variant, int Threads);

    private sealed record Timing(double Median, double Min, double Max)
    {
        public static Timing Of(IReadOnlyList<double> gflops)
        {
            var sorted = gflops.Order().ToArray();
            return new(sorted[sorted.Length / 2], sorted[0], sorted[^1]);
        }
    }

    public static int Run(string[] args)
    {
        int[] sizes = [64, 128, 256, 512, 1024, 2048];
        int[] threadCounts = [1, 2];
        int[] transposedSizes = [512, 1024];
        // Extra shapes m×n×k:variant, e.g. batch-1 inference 1x256x784:NT (x·Wᵀ, W of 256×784).
        (int M, int N, int K, string Variant)[] shapes = [(1, 256, 784, "NT"), (1, 256, 784, "NN"), (32, 256, 784, "NT")];
        int reps = 5;
        double seconds = 0.1;
        bool reference = true;
        string output = Path.Combine(BenchDirectory(), "results", "gemm.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sizes": sizes = Ints(args[++i]); transposedSizes = [.. transposedSizes.Intersect(sizes)]; break;
                case "--shapes": shapes = [.. args[++i].Split(',').Select(ParseShape)]; break;
                case "--threads": threadCounts = Ints(args[++i]); break;
                case "--reps": reps = int.Parse(args[++i]); break;
                case "--seconds": seconds = double.Parse(args[++i]); break;
                case "--no-reference": reference = false; break;
                case "--out": output = args[++i]; break;
                default:
                    Console.Error.WriteLine($"gemm: unknown option {args[i]}");
                    return 2;
            }
        }

        var cases = (from threads in threadCounts
                     from c in sizes.Select(n => (n, n, n, "NN")).Concat(
                         from n in transposedSizes from v in new[] { "NT", "TN" } select (n, n, n, v)).Concat(shapes)
                     select new Case(c.Item1, c.Item2, c.Item3, c.Item4, threads)).Distinct().ToList();

        Console.WriteLine($"Neurite SGEMM, path {Gemm.ActivePath}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        // Tiering moves the entry points (Multiply, the dispatch) to optimized code some hundreds of milliseconds after
        // their first calls: without this, the first case measured (64³ on one thread) ran partly unoptimized.
        foreach (var (variant, threads) in cases.Select(c => (c.Variant, c.Threads)).Distinct())
        {
            Measure(new Case(64, 64, 64, variant, threads), reps: 0, seconds: 0.25);
        }
        var neurite = Machine.Measured("gemm", "Neurite", () => cases.ToDictionary(c => c, c => Timing.Of(Measure(c, reps, seconds))));

        var openBlas = new Dictionary<Case, Timing>();
        string blas = "not run";
        string numpy = "not run";
        if (reference)
        {
            foreach (int threads in threadCounts)
            {
                var json = Machine.Measured("gemm", $"OpenBLAS, {threads} thread(s)",
                    () => RunReference([.. cases.Where(c => c.Threads == threads)], threads, reps, seconds));
                numpy = (string)json["numpy"]!;
                blas = (string)json["blas"]!;
                foreach (var r in json["results"]!.AsArray())
                {
                    var c = new Case((int)r!["m"]!, (int)r["n"]!, (int)r["k"]!, (string)r["variant"]!, threads);
                    openBlas[c] = Timing.Of(r["gflops"]!.AsArray().Select(g => (double)g!).ToList());
                }
            }
            Console.WriteLine($"Reference: numpy {numpy}, BLAS {blas}");
        }

        Console.WriteLine();
        Console.WriteLine($"{"m×n×k",-14} {"op",3} {"thr",3} | {"Neurite GFLOP/s (median [min-max])",-34} | {"OpenBLAS GFLOP/s",-26} | ratio");
        Console.WriteLine(new string('-', 95));
        foreach (var c in cases.OrderBy(c => c.M != c.N || c.N != c.K).ThenBy(c => c.Variant != "NN").ThenBy(c => c.Variant)
            .ThenBy(c => c.M).ThenBy(c => c.N).ThenBy(c => c.Threads))
        {
            var ours = neurite[c];
            string theirs = openBlas.TryGetValue(c, out var t) ? Format(t) : "-";
            string ratio = t is null ? "-" : $"{ours.Median / t.Median:F2}";
            Console.WriteLine($"{Shape(c),-14} {c.Variant,3} {c.Threads,3} | {Format(ours),-34} | {theirs,-26} | {ratio}");
        }

        WriteJson(output, cases, neurite, openBlas, numpy, blas);
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    private static List<double> Measure(Case c, int reps, double seconds)
    {
        Parallelism.MaxThreads = c.Threads;
        var rng = new Random(42);
        var a = Enumerable.Range(0, c.M * c.K).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var b = Enumerable.Range(0, c.K * c.N).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var result = new float[c.M * c.N];
        bool transA = c.Variant == "TN", transB = c.Variant == "NT";
        int lda = transA ? c.M : c.K, ldb = transB ? c.K : c.N;
        void Once() => Gemm.Multiply(transA, transB, c.M, c.N, c.K, 1f, a, lda, b, ldb, 0f, result, c.N);

        // Warm-up (tiered JIT, packing buffers, thread pool), then size the inner loop to about `seconds`.
        int iterations = 1;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                Once();
            }
            if (Stopwatch.GetElapsedTime(start).TotalSeconds >= seconds)
            {
                break;
            }
            iterations *= 2;
        }

        double flops = 2.0 * c.M * c.N * c.K * iterations;
        var gflops = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                Once();
            }
            gflops.Add(flops / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
        }
        return gflops;
    }

    /// <summary>Runs bench/reference/gemm.py under /usr/bin/python3 with OpenBLAS limited to `threads`.</summary>
    private static JsonNode RunReference(IReadOnlyList<Case> cases, int threads, int reps, double seconds)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(BenchDirectory(), "reference", "gemm.py"));
        info.ArgumentList.Add(JsonSerializer.Serialize(cases.Select(c => new { m = c.M, n = c.N, k = c.K, variant = c.Variant, reps, min_seconds = seconds })));
        // This machine's environment pins OpenBLAS to its Haswell (AVX2) kernels; drop that so it uses AVX-512.
        info.Environment.Remove("OPENBLAS_CORETYPE");
        info.Environment["OMP_NUM_THREADS"] = threads.ToString();
        info.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        info.Environment["OMP_WAIT_POLICY"] = "passive";
        using var process = Process.Start(info)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bench/reference/gemm.py exited with {process.ExitCode}");
        }
        return JsonNode.Parse(stdout)!;
    }

    private static void WriteJson(
        string path, List<Case> cases, Dictionary<Case, Timing> neurite, Dictionary<Case, Timing> openBlas,
        string numpy, string blas)
    {
        var json = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["dotnet"] = Environment.Version.ToString(),
            ["path"] = Gemm.ActivePath.ToString(),
            ["processors"] = Environment.ProcessorCount,
            ["numpy"] = numpy,
            ["blas"] = blas,
            ["results"] = new JsonArray([.. cases.Select(c => new JsonObject
            {
                ["m"] = c.M,
                ["n"] = c.N,
                ["k"] = c.K,
                ["variant"] = c.Variant,
                ["threads"] = c.Threads,
                ["neurite"] = ToJson(neurite[c]),
                ["openblas"] = openBlas.TryGetValue(c, out var t) ? ToJson(t) : null,
            })]),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    private static JsonObject ToJson(Timing t) =>
        new() { ["median"] = Math.Round(t.Median, 2), ["min"] = Math.Round(t.Min, 2), ["max"] = Math.Round(t.Max, 2) };

    private static string Format(Timing t) => $"{t.Median,6:F1} [{t.Min:F1}-{t.Max:F1}]";

    private static string Shape(Case c) => c.M == c.N && c.N == c.K ? $"{c.N}" : $"{c.M}×{c.N}×{c.K}";

    private static (int, int, int, string) ParseShape(string text)
    {
        var parts = text.Split(':');
        var size = Ints(parts[0].Replace('x', ','));
        return (size[0], size[1], size[2], parts.Length > 1 ? parts[1] : "NN");
    }

    private static int[] Ints(string list) => [.. list.Split(',').Select(int.Parse)];

    /// <summary>bench/, found from the build output folder (bench/Neurite.Bench/bin/...).</summary>
    internal static string BenchDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "reference", "gemm.py")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("bench/reference/gemm.py not found above " + AppContext.BaseDirectory);
    }
}
