using Neurite.Bench;

// Benchmark dispatcher: `Neurite.Bench <command> [options]`; see bench/run.sh.
var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["gemm"] = ("SGEMM GFLOP/s against numpy/OpenBLAS", GemmBench.Run),
    ["mlp"] = ("Fashion-MNIST MLP and playground workloads against PyTorch", MlpBench.Run),
    ["all"] = ("gemm, then mlp: every workload of BENCHMARKS.md, all results in bench/results/latest.json", All),
    ["mlp-profile"] = ("time and allocations per phase of an MLP training step", MlpProfile.Run),
    ["mlp-worker"] = ("one thread count of mlp's Neurite side (run by mlp)", MlpWorker.Run),
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

// `all`: the SGEMM table, then the MLP table; latest.json gets the gemm results too, under "gemm".
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
    if (status == 0)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(latest))!.AsObject();
        json["gemm"] = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(gemm));
        File.WriteAllText(latest, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
    return status;
}
