using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `onnxruntime [--threads 2] [--reps 5] [--out FILE]`: issue 17's inference rows against ONNX Runtime. The MLP
/// (784-256-128-10), LeNet-5 and a 2-layer LSTM, each built from its spec with the same seed on both sides and exported
/// by Neurite to ONNX for ONNX Runtime; batch-1 latency (median µs) and batch-128 throughput. Each side runs in a
/// process of its own (`ort-worker --side neurite|onnxruntime`). ONNX Runtime gets its best: the OrtValue API on
/// pre-allocated inputs and outputs, all graph optimizations, and per figure the better of 1 and 2 intra-op threads.
/// </summary>
internal static class OnnxRuntimeBench
{
    private const int LatencyCalls = 400;
    private const int Batch = 128;
    private const int Iterations = 20;

    /// <summary>The nets: a spec each (LeNet-5 is <see cref="CnnBench"/>'s).</summary>
    private static readonly Dictionary<string, string> Nets = new()
    {
        ["mlp"] = """
            {"input": [784], "layers": [{"type": "linear", "out": 256}, {"type": "relu"}, {"type": "linear", "out": 128}, {"type": "relu"},
              {"type": "linear", "out": 10}]}
            """,
        ["lenet"] = CnnBench.Nets["lenet"],
        ["lstm"] = """
            {"input": [32, 16], "layers": [{"type": "lstm", "hidden": 128, "layers": 2}, {"type": "linear", "out": 10}]}
            """,
    };

    private static readonly Metric[] Metrics =
    [
        new("mlp_infer1_latency_us", "MLP infer batch 1, median µs", false, 0.5),
        new("mlp_infer128_samples_per_s", "MLP infer batch 128, samples/s", true, 1.0),
        new("lenet_infer1_latency_us", "LeNet-5 infer batch 1, median µs", false, null),
        new("lenet_infer128_samples_per_s", "LeNet-5 infer batch 128, samples/s", true, null),
        new("lstm_infer1_latency_us", "LSTM 2×128 T32 infer b1, median µs", false, null),
        new("lstm_infer128_samples_per_s", "LSTM 2×128 T32 infer b128, samples/s", true, null),
    ];

    public static int Run(string[] args)
    {
        int threads = 2, reps = 5;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "onnxruntime.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                default:
                    Console.Error.WriteLine($"onnxruntime: unknown option {args[i]}");
                    return 2;
            }
        }
        string[] common = ["--threads", threads.ToString(CultureInfo.InvariantCulture), "--reps", reps.ToString(CultureInfo.InvariantCulture)];
        var neurite = Machine.Measured("onnxruntime", $"Neurite, {threads} thread(s)", () => Comparison.RunSelf(["ort-worker", "--side", "neurite", .. common]));
        var ort = Machine.Measured("onnxruntime", "ONNX Runtime, 1 and 2 threads", () => Comparison.RunSelf(["ort-worker", "--side", "onnxruntime", .. common]));

        string ours = (string)neurite["framework"]!, theirs = (string)ort["framework"]!;
        Console.WriteLine($"{ours} against {theirs}; {Environment.ProcessorCount} cores; median [min-max] of {reps} repetitions");
        Console.WriteLine("Ratio = Neurite / ONNX Runtime; the targets (issue 17) are the MLP's. The same weights on both sides; ONNX Runtime");
        Console.WriteLine("runs Neurite's export with the OrtValue API and, per figure, the better of 1 and 2 intra-op threads.");
        Console.WriteLine();
        var rows = Comparison.PrintTable(Metrics, [threads], new Dictionary<int, JsonNode> { [threads] = neurite }, new Dictionary<int, JsonNode> { [threads] = ort }, "ONNX Runtime");
        Comparison.WriteAtomically(output, new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["processors"] = Environment.ProcessorCount,
            ["neurite"] = ours,
            ["onnxruntime"] = theirs,
            ["repetitions"] = reps,
            ["results"] = rows,
        });
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    /// <summary>`ort-worker --side neurite|onnxruntime --threads T --reps R`: one side's figures as one JSON line.</summary>
    public static int RunWorker(string[] args)
    {
        string side = "neurite";
        int threads = 2, reps = 5;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--side": side = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"ort-worker: unknown option {args[i]}");
                    return 2;
            }
        }
        Parallelism.MaxThreads = threads;
        var metrics = new Dictionary<string, List<double>>();
        string framework = side == "neurite"
            ? $"Neurite (.NET {Environment.Version}, GEMM {Gemm.ActivePath})"
            : $"ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version} (OrtValue API)";
        foreach (var (net, json) in Nets)
        {
            var spec = ModelSpec.Parse(json);
            var model = spec.Build(new Generator(1));
            model.Eval();
            var rng = new Generator(2);
            var singles = Enumerable.Range(0, LatencyCalls).Select(_ => Tensor.Normal([1, .. spec.Input], 0f, 1f, rng)).ToArray();
            var batch = Tensor.Normal([Batch, .. spec.Input], 0f, 1f, rng);
            if (side == "neurite")
            {
                MeasureNeurite(net, model, singles, batch, reps, metrics);
            }
            else
            {
                byte[] bytes = OnnxFile.Export(model, spec).ToBytes();
                var byThreads = new[] { 1, 2 }.Select(ortThreads =>
                {
                    var figures = new Dictionary<string, List<double>>();
                    MeasureOnnxRuntime(net, bytes, model, singles, batch, ortThreads, reps, figures);
                    return (Threads: ortThreads, Figures: figures);
                }).ToArray();
                static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
                string latency = $"{net}_infer1_latency_us", throughput = $"{net}_infer128_samples_per_s";
                var fastest = byThreads.MinBy(run => Median(run.Figures[latency]));
                var widest = byThreads.MaxBy(run => Median(run.Figures[throughput]));
                metrics[latency] = fastest.Figures[latency];
                metrics[throughput] = widest.Figures[throughput];
                metrics[$"{net}_onnxruntime_threads_batch1"] = [fastest.Threads];
                metrics[$"{net}_onnxruntime_threads_batch128"] = [widest.Threads];
            }
        }
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["framework"] = framework, ["threads"] = threads, ["metrics"] = metrics }));
        return 0;
    }

    private static void MeasureNeurite(string net, Module model, Tensor[] singles, Tensor batch, int reps, Dictionary<string, List<double>> metrics)
    {
        using var _ = Graph.NoGrad();
        WarmUp(() => MlpWorker.Latency(model, singles));
        for (int r = 0; r < reps; r++)
        {
            MlpWorker.Add(metrics, $"{net}_infer1_latency_us", MlpWorker.Latency(model, singles));
        }
        WarmUp(() => model.Call(batch));
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Iterations; i++)
            {
                model.Call(batch);
            }
            MlpWorker.Add(metrics, $"{net}_infer128_samples_per_s", Batch * Iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>
    /// ONNX Runtime on the exported bytes with <paramref name="threads"/> intra-op threads; first checks that its output
    /// on the batch is Neurite's (relative 1e-3), so that both sides compute the same thing.
    /// </summary>
    private static void MeasureOnnxRuntime(
        string net, byte[] bytes, Module model, Tensor[] singles, Tensor batch, int threads, int reps, Dictionary<string, List<double>> metrics)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(bytes, options);
        using var runOptions = new RunOptions();
        // The names OnnxFile.Export gives a chain's input and output.
        string[] inputNames = ["input"], outputNames = ["output"];
        Tensor expected;
        using (Graph.NoGrad())
        {
            expected = model.Call(batch);
        }
        int outputsPerSample = expected.Count / Batch;

        // Pre-allocated OrtValues over pinned arrays: a run reads and writes them in place.
        float[] batchInput = batch.ToArray(), batchOutput = new float[expected.Count];
        using var batchIn = OrtValue.CreateTensorValueFromMemory(batchInput, [.. batch.ShapeArray.Select(size => (long)size)]);
        using var batchOut = OrtValue.CreateTensorValueFromMemory(batchOutput, [.. expected.ShapeArray.Select(size => (long)size)]);
        OrtValue[] batchIns = [batchIn], batchOuts = [batchOut];
        session.Run(runOptions, inputNames, batchIns, outputNames, batchOuts);
        var want = expected.ToArray();
        for (int i = 0; i < want.Length; i++)
        {
            if (Math.Abs(want[i] - batchOutput[i]) > 1e-3 * (1 + Math.Abs(want[i])))
            {
                throw new InvalidOperationException($"{net}: ONNX Runtime's output {i} is {batchOutput[i]}, Neurite's {want[i]}");
            }
        }

        var singleInputs = singles.Select(x => OrtValue.CreateTensorValueFromMemory(x.ToArray(), [.. x.ShapeArray.Select(size => (long)size)])).ToArray();
        float[] singleOutput = new float[outputsPerSample];
        using var singleOut = OrtValue.CreateTensorValueFromMemory(singleOutput, [1, .. expected.ShapeArray.Skip(1).Select(size => (long)size)]);
        OrtValue[] singleOuts = [singleOut];
        var micros = new double[singles.Length];
        double Latency()
        {
            for (int i = 0; i < singleInputs.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                session.Run(runOptions, inputNames, [singleInputs[i]], outputNames, singleOuts);
                micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            Array.Sort(micros);
            return micros[micros.Length / 2];
        }
        WarmUp(() => Latency());
        for (int r = 0; r < reps; r++)
        {
            MlpWorker.Add(metrics, $"{net}_infer1_latency_us", Latency());
        }
        foreach (var value in singleInputs)
        {
            value.Dispose();
        }
        WarmUp(() => session.Run(runOptions, inputNames, batchIns, outputNames, batchOuts));
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Iterations; i++)
            {
                session.Run(runOptions, inputNames, batchIns, outputNames, batchOuts);
            }
            MlpWorker.Add(metrics, $"{net}_infer128_samples_per_s", Batch * Iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> for a second before a throughput is timed: long enough for the JIT's optimized code
    /// (tiered compilation) and for the first touch of every buffer, on either side.
    /// </summary>
    private static void WarmUp(Action run)
    {
        long start = Stopwatch.GetTimestamp();
        do
        {
            run();
        }
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < 1);
    }
}
