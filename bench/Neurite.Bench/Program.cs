using Neurite.Bench;

// Benchmark dispatcher: `Neurite.Bench <command> [options]`; see bench/run.sh.
var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["gemm"] = ("SGEMM GFLOP/s against numpy/OpenBLAS", GemmBench.Run),
    ["mlp"] = ("Fashion-MNIST MLP and playground workloads against PyTorch", MlpBench.Run),
    ["all"] = ("gemm, then mlp: every workload of BENCHMARKS.md", args => GemmBench.Run([]) is var status and not 0 ? status : MlpBench.Run(args)),
    ["mlp-profile"] = ("time and allocations per phase of an MLP training step", MlpProfile.Run),
    ["mlp-worker"] = ("one thread count of mlp's Neurite side (run by mlp)", MlpWorker.Run),
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
