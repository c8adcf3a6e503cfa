using System.Text.Json;

namespace Neurite.Tests.Optim;

/// <summary>Reads the optim_*.json fixtures that tests/reference/gen_optim.py writes with PyTorch.</summary>
internal static class Fixtures
{
    private static readonly Dictionary<string, JsonElement> Cache = [];

    /// <summary>The cases of a fixture file, by name.</summary>
    public static JsonElement Case(string file, string name)
    {
        foreach (var c in Cases(file).EnumerateArray())
        {
            if (c.GetProperty("name").GetString() == name)
            {
                return c;
            }
        }
        throw new KeyNotFoundException($"{file} has no case {name}.");
    }

    /// <summary>(file, case name) pairs for a theory over every case of a file.</summary>
    public static TheoryData<string, string> Names(string file)
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Cases(file).EnumerateArray())
        {
            data.Add(file, c.GetProperty("name").GetString()!);
        }
        return data;
    }

    /// <summary>float32 values: each was written as its exact widening to a double.</summary>
    public static float[] Floats(JsonElement values) => [.. values.EnumerateArray().Select(v => (float)v.GetDouble())];

    public static double[] Doubles(JsonElement values) => [.. values.EnumerateArray().Select(v => v.GetDouble())];

    public static int[] Ints(JsonElement values) => [.. values.EnumerateArray().Select(v => v.GetInt32())];

    public static double Double(JsonElement obj, string name) => obj.GetProperty(name).GetDouble();

    public static int Int(JsonElement obj, string name) => obj.GetProperty(name).GetInt32();

    public static bool Bool(JsonElement obj, string name) => obj.GetProperty(name).GetBoolean();

    public static string String(JsonElement obj, string name) => obj.GetProperty(name).GetString()!;

    private static JsonElement Cases(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var cases))
            {
                var path = Path.Combine(AppContext.BaseDirectory, "reference", file);
                using var document = JsonDocument.Parse(File.ReadAllText(path));
                var root = document.RootElement.Clone();
                Assert.StartsWith("1.13", root.GetProperty("torch_version").GetString());
                cases = root.GetProperty("cases");
                Cache[file] = cases;
            }
            return cases;
        }
    }
}
