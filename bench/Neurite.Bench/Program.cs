using Neurite.Bench;

// Benchmark dispatcher: `Neurite.Bench <command> [options]`; see bench/run.sh.
var commands = new Dictionary<string, (string Help, Func<string[], int> Run)>
{
    ["gemm"] = ("SGEMM GFLOP/s against numpy/OpenBLAS", GemmBench.Run),
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
