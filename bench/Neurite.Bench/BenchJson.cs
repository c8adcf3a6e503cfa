using System.Text.Json;
using Neurite.Kernels;

namespace Neurite.Bench;

/// <summary>The one JSON object a workload prints with --json, as <see cref="Comparison"/> reads it.</summary>
internal static class BenchJson
{
    public static string Result(int threads, Dictionary<string, List<double>> metrics) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["framework"] = $"Neurite (.NET {Environment.Version}, GEMM {Gemm.ActivePath})",
        ["threads"] = threads,
        ["metrics"] = metrics,
    });
}
