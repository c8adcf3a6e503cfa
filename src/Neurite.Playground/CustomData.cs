using System.Globalization;
using System.Text.Json.Nodes;

namespace Neurite.Playground;

/// <summary>One labelled point of a two-dimensional data set, as the page draws it.</summary>
/// <param name="X1">First coordinate, in about [−6, 6].</param>
/// <param name="X2">Second coordinate, in about [−6, 6].</param>
/// <param name="Label">+1 or −1 for binary classification, a value in [−1, 1] for regression, the class index for multi-class data.</param>
public readonly record struct DataPoint(float X1, float X2, float Label);

/// <summary>
/// Points the person brings: clicked onto the heat map or uploaded as CSV (x1,x2,label per line,
/// an optional header). Every point is checked against the problem type.
/// </summary>
public static class CustomData
{
    /// <summary>Most points a person's data set may have.</summary>
    public const int MaxPoints = 2000;

    /// <summary>Points from the page's JSON list of [x1, x2, label].</summary>
    /// <exception cref="PlaygroundValidationException">Not a list of triples of finite numbers, too many, or a point out of range.</exception>
    public static DataPoint[] FromJson(JsonNode? points, PlaygroundConfig config)
    {
        if (points is not JsonArray array)
        {
            throw new PlaygroundValidationException("points: must be a list of [x1, x2, label]");
        }
        Count(array.Count);
        return array.Select((p, i) =>
        {
            if (p is not JsonArray triple || triple.Count != 3 || triple.Any(v => v is not JsonValue value || PlaygroundConfig.AsDouble(value) is null))
            {
                throw new PlaygroundValidationException($"points: point {i + 1} must be [x1, x2, label] with numbers; got {p?.ToJsonString() ?? "null"}");
            }
            var v = triple.Select(n => PlaygroundConfig.AsDouble(n!.AsValue())!.Value).ToArray();
            return Check(v[0], v[1], v[2], $"point {i + 1}", config);
        }).ToArray();
    }

    /// <summary>Points from CSV text: x1,x2,label per line; a first line that is not numbers is a header.</summary>
    /// <exception cref="PlaygroundValidationException">A row that is not three numbers, too many rows, or a point out of range.</exception>
    public static DataPoint[] FromCsv(string text, PlaygroundConfig config)
    {
        var lines = text.Split('\n').Select(l => l.Trim()).ToArray();
        var points = new List<DataPoint>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            var cells = lines[i].Split(',', ';', '\t').Select(c => c.Trim()).ToArray();
            var numbers = cells.Select(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : (double?)null).ToArray();
            if (points.Count == 0 && i == Array.FindIndex(lines, l => l.Length > 0) && numbers.All(n => n is null))
            {
                continue; // header
            }
            if (cells.Length != 3 || numbers.Any(n => n is null))
            {
                throw new PlaygroundValidationException($"CSV line {i + 1}: expected x1,x2,label as three numbers; got '{Shorten(lines[i])}'");
            }
            points.Add(Check(numbers[0]!.Value, numbers[1]!.Value, numbers[2]!.Value, $"CSV line {i + 1}", config));
            Count(points.Count);
        }
        return [.. points];
    }

    /// <summary>Checks that every point fits <paramref name="config"/>'s problem (after the problem type changed).</summary>
    public static void Check(IEnumerable<DataPoint> points, PlaygroundConfig config)
    {
        int i = 0;
        foreach (var p in points)
        {
            Check(p.X1, p.X2, p.Label, $"point {++i}", config);
        }
    }

    private static void Count(int count)
    {
        if (count > MaxPoints)
        {
            throw new PlaygroundValidationException($"points: at most {MaxPoints}; got more");
        }
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..40] + "…";

    private static DataPoint Check(double x1, double x2, double label, string where, PlaygroundConfig config)
    {
        const double Extent = PlaygroundRun.Extent;
        if (!double.IsFinite(x1) || !double.IsFinite(x2) || Math.Abs(x1) > Extent || Math.Abs(x2) > Extent)
        {
            throw new PlaygroundValidationException($"{where}: x1 and x2 must be from -6 to 6; got {Format(x1)}, {Format(x2)}");
        }
        bool valid = config.Problem switch
        {
            "classification" => label is 1 or -1,
            "multiclass" => label >= 0 && label < config.Classes && label == Math.Floor(label),
            _ => double.IsFinite(label) && Math.Abs(label) <= 1,
        };
        if (!valid)
        {
            string allowed = config.Problem switch
            {
                "classification" => "1 or -1",
                "multiclass" => $"a class from 0 to {config.Classes - 1}",
                _ => "a number from -1 to 1",
            };
            throw new PlaygroundValidationException($"{where}: the label must be {allowed} for {config.Problem}; got {Format(label)}");
        }
        return new DataPoint((float)x1, (float)x2, (float)label);
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
