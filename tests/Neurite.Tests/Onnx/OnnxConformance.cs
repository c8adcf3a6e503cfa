using System.Globalization;
using Neurite.Autograd;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Onnx;

/// <summary>What running one of ONNX's backend test cases gave.</summary>
/// <param name="Suite">node, pytorch-converted, pytorch-operator or simple.</param>
/// <param name="Name">The case's folder, e.g. test_softmax_axis_0.</param>
/// <param name="Operators">The operators its graph uses.</param>
/// <param name="Passed">Whether every output matched.</param>
/// <param name="Detail">Why it did not pass: the first mismatch or refusal.</param>
internal sealed record ConformanceCase(string Suite, string Name, IReadOnlyList<string> Operators, bool Passed, string? Detail);

/// <summary>
/// Runs ONNX's own backend test cases (Debian's libonnx-testdata, ONNX 1.12) that use only operators Neurite runs:
/// each model.onnx is imported, run in evaluation mode on test_data_set_*/input_*.pb, and every output compared with
/// output_*.pb as ONNX's runner does, |actual − expected| ≤ 1e-7 + 1e-3·|expected| for floats, exactly for integers and bools.
/// </summary>
internal static class OnnxConformance
{
    public static readonly string[] Suites = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    private static readonly Lazy<IReadOnlyList<ConformanceCase>> Results = new(RunAll);

    /// <summary>Every case whose operators are all supported, run once per test process.</summary>
    public static IReadOnlyList<ConformanceCase> All => Results.Value;

    /// <summary>The cases that use an operator Neurite does not run, by suite: their count.</summary>
    public static Dictionary<string, int> Unsupported { get; } = [];

    private static List<ConformanceCase> RunAll()
    {
        var cases = new List<ConformanceCase>();
        foreach (string suite in Suites)
        {
            int unsupported = 0;
            foreach (string directory in Directory.GetDirectories(Path.Combine(OnnxTestData.Root, suite)).Order(StringComparer.Ordinal))
            {
                var model = OnnxModel.Load(Path.Combine(directory, "model.onnx"));
                var operators = model.Graph.Nodes.Select(node => node.OpType).Distinct().Order(StringComparer.Ordinal).ToList();
                if (!model.Graph.Nodes.All(node => OnnxOperatorsView.Supports(node)))
                {
                    unsupported++;
                    continue;
                }
                cases.Add(Run(suite, directory, model, operators));
            }
            Unsupported[suite] = unsupported;
        }
        return cases;
    }

    private static ConformanceCase Run(string suite, string directory, OnnxModel model, IReadOnlyList<string> operators)
    {
        string name = Path.GetFileName(directory);
        try
        {
            var module = new OnnxGraphModule(model, Path.Combine(suite, name, "model.onnx"), new Generator(0));
            module.Eval();
            foreach (string set in Directory.GetDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal))
            {
                var inputs = Tensors(set, "input");
                var expected = Tensors(set, "output");
                OnnxValue[] actual;
                using (Graph.NoGrad())
                {
                    actual = module.Run([.. inputs.Select(Value)]);
                }
                for (int i = 0; i < expected.Count; i++)
                {
                    if (Mismatch(expected[i], actual[i]) is { } mismatch)
                    {
                        return new(suite, name, operators, false, $"{Path.GetFileName(set)} output {i}: {mismatch}");
                    }
                }
            }
            return new(suite, name, operators, true, null);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException || e.GetType() == typeof(ArgumentException))
        {
            return new(suite, name, operators, false, e.Message);
        }
    }

    private static List<OnnxTensor> Tensors(string set, string kind) =>
        [.. Directory.GetFiles(set, kind + "_*.pb").OrderBy(path => int.Parse(Path.GetFileNameWithoutExtension(path)[(kind.Length + 1)..], CultureInfo.InvariantCulture))
            .Select(path => OnnxTensor.Parse(File.ReadAllBytes(path), path))];

    private static OnnxValue Value(OnnxTensor tensor) =>
        OnnxOperators.TensorValue(tensor, detail => new NotSupportedException($"test data: {detail}"));

    /// <summary>The first difference between an expected tensor and an output, or null when they match.</summary>
    private static string? Mismatch(OnnxTensor expected, OnnxValue actual)
    {
        var want = Value(expected);
        if (want.Type != actual.Type || !want.Shape.SequenceEqual(actual.Shape))
        {
            return $"{actual.Describe()}, expected {want.Describe()}";
        }
        var (e, a) = (want.Numbers(), actual.Numbers());
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = want.IsFloat
                ? double.IsNaN(e[i]) ? double.IsNaN(a[i]) : e[i] == a[i] || Math.Abs(a[i] - e[i]) <= 1e-7 + 1e-3 * Math.Abs(e[i])
                : e[i] == a[i];
            if (!ok)
            {
                return $"element {i} is {a[i].ToString("R", CultureInfo.InvariantCulture)}, expected {e[i].ToString("R", CultureInfo.InvariantCulture)}";
            }
        }
        return null;
    }
}

/// <summary>Which nodes the importer runs: ONNX's own operators that it knows.</summary>
internal static class OnnxOperatorsView
{
    public static bool Supports(OnnxNode node) => OnnxNode.IsDefaultDomain(node.Domain) && OnnxOperators.Find(node.OpType) is not null;
}
