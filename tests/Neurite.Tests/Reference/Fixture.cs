using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Reads the PyTorch fixtures that tests/reference/gen_reference.py writes (copied by the test
/// project to reference/*.json in the output folder) and compares Neurite's tensors with them.
/// </summary>
/// <remarks>
/// A fixture is <c>{"torch_version", "seed", "cases": [{"name", …}]}</c>; a tensor inside it is
/// <c>{"shape": [...], "data": [...]}</c>, row-major, with NaN and infinities written as strings.
/// </remarks>
internal static class Fixture
{
    /// <summary>
    /// float32 tolerance: |got − expected| ≤ Absolute + Relative·|expected|. Relative 1e-5 is about
    /// 80 float32 ulps, room for a different summation order (GEMM blocking, SIMD reductions) over
    /// the few dozen terms these fixtures sum; Absolute 1e-6 covers results that cancel to near 0.
    /// </summary>
    public const double Relative = 1e-5, Absolute = 1e-6;

    private static readonly ConcurrentDictionary<string, JsonDocument> Documents = new();

    /// <summary>The root of a fixture file, e.g. "matmul.json".</summary>
    public static JsonElement Load(string file) =>
        Documents.GetOrAdd(file, f =>
        {
            string path = Path.Combine(AppContext.BaseDirectory, "reference", f);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Reference fixture {f} is missing from the test output; run /usr/bin/python3 tests/reference/gen_reference.py and check the csproj copies tests/reference/*.json.",
                    path);
            }
            return JsonDocument.Parse(File.ReadAllText(path));
        }).RootElement;

    /// <summary>The names of a fixture's cases, in file order.</summary>
    public static List<string> CaseNameList(string file) =>
        Load(file).GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();

    /// <summary>The names of a fixture's cases, as xunit MemberData rows.</summary>
    public static TheoryData<string> CaseNames(string file) => new(CaseNameList(file));

    /// <summary>The case called <paramref name="name"/> in <paramref name="file"/>.</summary>
    public static JsonElement Case(string file, string name)
    {
        foreach (var c in Load(file).GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("name").GetString() == name)
            {
                return c;
            }
        }
        throw new KeyNotFoundException($"{file} has no case named {name}.");
    }

    /// <summary>A tensor written as {"shape", "data"}.</summary>
    public static Tensor ReadTensor(JsonElement element, bool requiresGrad = false)
    {
        var shape = element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var data = element.GetProperty("data").EnumerateArray().Select(ReadFloat).ToArray();
        return Tensor.From(data, shape, requiresGrad);
    }

    /// <summary>Every tensor of an object such as "inputs" or "grads", by name.</summary>
    public static Dictionary<string, Tensor> ReadTensors(JsonElement obj, bool requiresGrad = false) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => ReadTensor(p.Value, requiresGrad));

    /// <summary>
    /// A float32 value: the JSON number is the float32 that PyTorch computed, widened to double and
    /// written round-trip, so parsing it as a double and narrowing to float gives back exactly those bits.
    /// </summary>
    private static float ReadFloat(JsonElement e) =>
        e.ValueKind == JsonValueKind.String
            ? float.Parse(e.GetString()!, CultureInfo.InvariantCulture) // "NaN", "Infinity", "-Infinity"
            : (float)e.GetDouble();

    /// <summary>
    /// Requires the same shape and every element within <see cref="Relative"/> and
    /// <see cref="Absolute"/> (NaN only where NaN is expected); the message names the element.
    /// </summary>
    public static void AssertClose(Tensor expected, Tensor? actual, string what,
        double relative = Relative, double absolute = Absolute)
    {
        Assert.True(actual is not null, $"{what}: no tensor (expected shape {ShapeText(expected)}).");
        Assert.True(expected.Shape.SequenceEqual(actual.Shape),
            $"{what}: shape {ShapeText(actual)}, expected {ShapeText(expected)}.");
        var e = expected.Data;
        var a = actual.Data;
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = float.IsNaN(e[i])
                ? float.IsNaN(a[i])
                : e[i] == a[i] || Math.Abs((double)a[i] - e[i]) <= absolute + relative * Math.Abs((double)e[i]);
            Assert.True(ok,
                $"{what}: element {i} is {a[i].ToString("R", CultureInfo.InvariantCulture)}, PyTorch gives {e[i].ToString("R", CultureInfo.InvariantCulture)} (tolerance {relative:g} relative + {absolute:g} absolute).");
        }
    }

    private static string ShapeText(Tensor t) => $"[{string.Join(", ", t.Shape.ToArray())}]";

    /// <summary>
    /// Checks one case of the common layout {"inputs", "output", "upstream", "grads"}: runs
    /// <paramref name="forward"/> on the inputs (leaves that require grad), compares the output,
    /// back-propagates sum(output ⊙ upstream), and compares every input's gradient, within
    /// <paramref name="relative"/> and <paramref name="absolute"/>.
    /// </summary>
    public static void CheckForwardAndBackward(JsonElement c, Func<IReadOnlyDictionary<string, Tensor>, Tensor> forward,
        double relative = Relative, double absolute = Absolute)
    {
        string name = c.GetProperty("name").GetString()!;
        var inputs = ReadTensors(c.GetProperty("inputs"), requiresGrad: true);
        var output = forward(inputs);
        AssertClose(ReadTensor(c.GetProperty("output")), output, $"{name}: output", relative, absolute);

        // Backward with an upstream gradient g computes ∂(Σ output ⊙ g)/∂input, what torch recorded.
        output.Backward(ReadTensor(c.GetProperty("upstream")));
        var grads = ReadTensors(c.GetProperty("grads"));
        Assert.Equal(inputs.Keys.Order(), grads.Keys.Order());
        foreach (var (input, expected) in grads)
        {
            AssertClose(expected, inputs[input].Grad, $"{name}: gradient of {input}", relative, absolute);
        }
    }
}
