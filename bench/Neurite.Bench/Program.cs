using Neurite.Bench;

// Benchmark dispatcher: `Neurite.Bench <command> [options]`; see bench/run.sh.
var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["gemm"] = ("SGEMM GFLOP/s against numpy/OpenBLAS", GemmBench.Run),
    ["mlp"] = ("Fashion-MNIST MLP and playground workloads against PyTorch", MlpBench.Run),
    ["models"] = ("the CNN, LSTM, Transformer and generation workloads against PyTorch", ModelsBench.Run),
    ["onnxruntime"] = ("MLP, LeNet-5 and LSTM inference against ONNX Runtime on Neurite's ONNX export", OnnxRuntimeBench.Run),
    ["process"] = ("neurite train as a whole process (wall time, peak RSS, start-up) against a PyTorch script", ProcessBench.Run),
    ["all"] = ("gemm, mlp, models, onnxruntime, callgrind, then process: every workload of BENCHMARKS.md, all results in bench/results/latest.json", All),
    ["cnn"] = ("LeNet-5 or a small VGG: training, inference, per-convolution GFLOP/s (run by models; bench/reference/cnn.py is PyTorch's)", CnnBench.Run),
    ["callgrind"] = ("instructions per MLP training step, batch-1 inference and 64³ SGEMM, counted by valgrind: the same on any machine", CallgrindBench.Run),
    ["callgrind-worker"] = ("the regions callgrind counts (run by callgrind under valgrind)", CallgrindBench.Worker),
    ["mlp-profile"] = ("time and allocations per phase of an MLP training step", MlpProfile.Run),
    ["mlp-worker"] = ("one thread count of mlp's Neurite side (run by mlp)", MlpWorker.Run),
    ["ort-worker"] = ("one side of onnxruntime (run by onnxruntime)", OnnxRuntimeBench.RunWorker),
    ["mpi"] = ("data-parallel training over mpirun -np 2 against one process, communication share, bucket sizes, projection to 8 and 64 ranks", MpiBench.Run),
    ["mpi-worker"] = ("one process or one rank of mpi's runs (run by mpi)", MpiBench.Worker),
    ["lstm"] = ("training steps of a 2-layer LSTM (Neurite only; bench/reference/lstm.py is PyTorch's)", LstmBench.Run),
    ["generate"] = ("characters per second of language-model generation (Neurite only; bench/reference/generate.py is PyTorch's)", GenerateBench.Run),
    ["transformer"] = ("training steps of a Transformer encoder layer (Neurite only; bench/reference/transformer.py is PyTorch's)", TransformerBench.Run),
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine("usage: Neurite.Bench <command> [options]");
    foreach (var (name, (help, _)) in commands)
    {
        Console.Error.WriteLine($"  {name,-8} {help}");
    }
    return 2;
}
return command.Run(args[1..]);

// `all`: the SGEMM, MLP, models, ONNX Runtime, instruction-count and whole-process tables; latest.json gets them all.
static int All(string[] args)
{
    string results = Path.Combine(GemmBench.BenchDirectory(), "results");
    string gemm = Path.Combine(results, "gemm.json");
    int status = GemmBench.Run(["--out", gemm]);
    if (status != 0)
    {
        return status;
    }
    Console.WriteLine();
    string latest = Path.Combine(results, "latest.json");
    status = MlpBench.Run([.. args, "--out", latest]);
    if (status != 0)
    {
        return status;
    }
    Console.WriteLine();
    string models = Path.Combine(results, "models.json");
    status = ModelsBench.Run([.. args.Where(arg => arg == "--no-reference"), "--out", models]);
    if (status != 0)
    {
        return status;
    }
    Console.WriteLine();
    string onnxRuntime = Path.Combine(results, "onnxruntime.json");
    status = OnnxRuntimeBench.Run(["--out", onnxRuntime]);
    if (status != 0)
    {
        return status;
    }
    Console.WriteLine();
    string callgrind = Path.Combine(results, "callgrind.json");
    status = CallgrindBench.Run(["--out", callgrind]);
    if (status != 0)
    {
        return status;
    }
    Console.WriteLine();
    string process = Path.Combine(results, "process.json");
    status = args.Contains("--no-reference") ? 0 : ProcessBench.Run(["--out", process]);
    if (status == 0)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(latest))!.AsObject();
        json["gemm"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(gemm));
        json["models"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(models));
        json["onnxruntime"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(onnxRuntime));
        json["callgrind"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(callgrind));
        if (File.Exists(process))
        {
            json["process"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(process));
        }
        Comparison.WriteAtomically(latest, json);
    }
    return status;
}
