using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Neurite.Tests.Onnx;

/// <summary>
/// ONNX's own backend test cases (Debian's libonnx-testdata: node, pytorch-converted, pytorch-operator and simple)
/// for every operator Neurite imports: each passes, or is excluded for a stated reason; the README's table is the
/// one measured here.
/// </summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    /// <summary>Cases that run but cannot match, by name, with why.</summary>
    private static readonly Dictionary<string, string> Exclusions = new()
    {
        ["test_training_dropout"] = RandomMask,
        ["test_training_dropout_default"] = RandomMask,
        ["test_training_dropout_default_mask"] = RandomMask,
        ["test_training_dropout_mask"] = RandomMask,
    };

    private const string RandomMask = "training-mode Dropout with a ratio above 0: the expected output is one particular random mask";

    /// <summary>Why a case did not pass: a value or conversion of an element type Neurite does not hold, or its listed exclusion; null when unexplained.</summary>
    internal static string? Reason(ConformanceCase c)
    {
        if (c.Passed)
        {
            return null;
        }
        if (Exclusions.TryGetValue(c.Name, out string? reason))
        {
            return reason;
        }
        if (c.Detail!.Contains("is not a tensor", StringComparison.Ordinal))
        {
            return "a sequence or optional value, not a tensor";
        }
        var type = Regex.Match(c.Detail, @"(?:is|cast to) (\w+)(?: \[[^\]]*\])?(?:; Neurite takes float32, integer and bool tensors|, which Neurite does not support)");
        return type.Success ? $"element type {type.Groups[1].Value}" : null;
    }

    [Fact]
    public void Every_case_of_a_supported_operator_passes_or_is_excluded_for_its_reason()
    {
        var cases = OnnxConformance.All;
        var unexplained = cases.Where(c => !c.Passed && Reason(c) is null).Select(c => $"{c.Suite}/{c.Name}: {c.Detail}").ToList();
        var stale = Exclusions.Keys.Where(name => cases.Any(c => c.Name == name && c.Passed)).ToList();
        output.WriteLine($"{cases.Count(c => c.Passed)} of {cases.Count} cases passed");
        Assert.True(unexplained.Count == 0, $"{unexplained.Count} case(s) failed:\n{string.Join("\n", unexplained)}");
        Assert.True(stale.Count == 0, $"excluded but passing: {string.Join(", ", stale)}");
        Assert.True(cases.Count > 500 && cases.Count(c => c.Passed) > 500, $"only {cases.Count} cases ran");
    }

    [Fact]
    public void The_readme_table_is_the_measured_one()
    {
        string expected = Table();
        string readme = File.ReadAllText(Path.Combine(ReadmeTests.RepositoryRoot(), "README.md"));
        var section = Regex.Match(readme, "<!-- conformance: begin -->\n(.*?)<!-- conformance: end -->", RegexOptions.Singleline);
        Assert.True(section.Success, "README.md has no conformance section between <!-- conformance: begin --> and <!-- conformance: end -->");
        if (section.Groups[1].Value != expected)
        {
            output.WriteLine(expected);
        }
        Assert.Equal(expected, section.Groups[1].Value);
    }

    /// <summary>The README's section: the totals, passed/total per operator, and every excluded case grouped by its reason.</summary>
    internal static string Table()
    {
        var cases = OnnxConformance.All;
        var text = new StringBuilder();
        int passed = cases.Count(c => c.Passed);
        text.Append("Run: ").Append(cases.Count).Append(" cases whose operators are all supported (")
            .Append(string.Join(", ", OnnxConformance.Suites.Select(suite => $"{suite} {cases.Count(c => c.Suite == suite)}")))
            .Append("); ").Append(passed).Append(" pass, ").Append(cases.Count - passed).Append(" are excluded. Not run: ")
            .Append(string.Join(", ", OnnxConformance.Suites.Select(suite => $"{suite} {OnnxConformance.Unsupported[suite]}")))
            .Append(" cases that use an operator Neurite does not import.\n\n");
        text.Append("| operator | passed / cases | | operator | passed / cases | | operator | passed / cases |\n");
        text.Append("|---|---|---|---|---|---|---|---|\n");
        var rows = cases.SelectMany(c => c.Operators.Select(op => (Op: op, c.Passed))).GroupBy(entry => entry.Op)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"`{group.Key}` | {group.Count(entry => entry.Passed)} / {group.Count()}").ToList();
        int height = (rows.Count + 2) / 3;
        for (int r = 0; r < height; r++)
        {
            text.Append("| ").Append(string.Join(" | | ", Enumerable.Range(0, 3).Select(column => r + column * height < rows.Count ? rows[r + column * height] : " | "))).Append(" |\n");
        }
        text.Append("\nExcluded:\n\n");
        foreach (var group in cases.Where(c => !c.Passed).GroupBy(c => Reason(c) ?? "unexplained").OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            text.Append("- ").Append(group.Key).Append(" (").Append(group.Count()).Append("): ")
                .Append(string.Join(", ", group.Select(c => c.Suite == "node" ? c.Name : $"{c.Suite}/{c.Name}"))).Append('\n');
        }
        return text.ToString();
    }
}
