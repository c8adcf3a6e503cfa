using System.Globalization;
using System.Text.Json;
using Neurite.IO;

namespace Neurite.Serialization;

/// <summary>
/// A model spec that cannot be used: the message is one line, "[file: ]path: what is wrong", with the
/// JSON path of the offending field (<c>layers[3].out</c>).
/// </summary>
public sealed class ModelSpecException : FormatException
{
    internal ModelSpecException(string? source, string path, string detail)
        : base(OneLine.Escape((source is null ? "" : source + ": ") + (path.Length == 0 ? "" : path + ": ") + detail))
    {
        JsonPath = path;
        Detail = detail;
    }

    /// <summary>The JSON path of the offending field, e.g. <c>layers[3].out</c> (empty for the whole document).</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong, without the file and path.</summary>
    public string Detail { get; }
}

/// <summary>
/// Reads spec JSON with paths: every error names the file (when known) and the field. <paramref name="vocabulary"/> is
/// what the count "vocab" stands for: the vocabulary size of the data source, when it has one. <paramref name="prefix"/> is
/// the JSON path of the object being read, which every error's path starts with (a GAN's generator is read as a spec of
/// its own, its errors under <c>gan.generator</c>).
/// </summary>
internal sealed class SpecReader(string? source, int? vocabulary = null, string prefix = "")
{
    /// <summary>The word a count may be written as, for the data source's vocabulary size.</summary>
    public const string VocabularyWord = "vocab";

    public ModelSpecException Error(string path, string detail) => new(source, prefix.Length == 0 ? path : Child(prefix, path), detail);

    /// <summary>A reader of the object at <paramref name="path"/> (relative to this reader's), whose errors name paths under it.</summary>
    public SpecReader Within(string path) => new(source, vocabulary, prefix.Length == 0 ? path : Child(prefix, path));

    /// <summary>What errors name first: the file (and metadata key) the spec came from, or null.</summary>
    public string? Source => source;

    /// <summary>The fields of the object at <paramref name="path"/>; any field not in <paramref name="known"/> is an error.</summary>
    public Fields Object(JsonElement element, string path, string what, IReadOnlyCollection<string> known)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"expected {what} (a JSON object), got {Show(element)}");
        }
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            string fieldPath = Child(path, property.Name);
            if (!known.Contains(property.Name))
            {
                throw Error(fieldPath, $"unknown field; {what} takes {string.Join(", ", known)}");
            }
            if (!fields.TryAdd(property.Name, property.Value))
            {
                throw Error(fieldPath, "given twice");
            }
        }
        return new Fields(this, path, fields);
    }

    /// <summary>An object without fields, for a value given by name alone ("adam").</summary>
    public Fields NoFields(string path) => new(this, path, []);

    public static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>A JSON value as the error messages quote it, shortened, on one line.</summary>
    public static string Show(JsonElement element)
    {
        string text = string.Join(' ', element.GetRawText().Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= 40 ? text : text[..37] + "...";
    }

    /// <summary>
    /// Refuses, with its JSON path, a string or field name holding an escaped lone surrogate (\ud800), which no .NET
    /// string can hold: reading it later would throw where no path is known. Run once on a parsed document.
    /// </summary>
    public void CheckStrings(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw Error(path, "a field name is not valid Unicode (an escaped lone surrogate)");
                    }
                    CheckStrings(property.Value, Child(path, name));
                }
                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckStrings(item, $"{path}[{index++}]");
                }
                break;
            case JsonValueKind.String:
                try
                {
                    element.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw Error(path, "the string is not valid Unicode (an escaped lone surrogate)");
                }
                break;
        }
    }

    public int Int(JsonElement element, string path, int min)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int value) || value < min)
        {
            throw Error(path, $"expected {IntDescription(min)}, got {Show(element)}");
        }
        return value;
    }

    /// <summary>A positive integer, or "vocab" for the vocabulary size (an error when there is none).</summary>
    public int Count(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String && element.GetString() == VocabularyWord)
        {
            return vocabulary ?? throw Error(path,
                $"\"{VocabularyWord}\" stands for the vocabulary size of the data source, but it has none (a text:PATH,seq=N source has one)");
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int value) || value < 1)
        {
            throw Error(path, $"expected {CountDescription}, got {Show(element)}");
        }
        return value;
    }

    public const string CountDescription = "a positive integer or \"vocab\"";

    public static string IntDescription(int min) => min switch
    {
        1 => "a positive integer",
        0 => "a non-negative integer",
        < -1000 => "an integer",
        _ => $"an integer >= {min}",
    };

    public double Number(JsonElement element, string path, Func<double, bool> ok, string what)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out double value) || !double.IsFinite(value) || !ok(value))
        {
            throw Error(path, $"expected {what}, got {Show(element)}");
        }
        return value;
    }

    public string String(JsonElement element, string path, string what)
    {
        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } value)
        {
            throw Error(path, $"expected {what}, got {Show(element)}");
        }
        return value;
    }

    public string Choice(JsonElement element, string path, string what, IReadOnlyCollection<string> allowed)
    {
        string value = String(element, path, $"{what} (one of {string.Join(", ", allowed)})");
        if (!allowed.Contains(value))
        {
            throw Error(path, $"unknown {what} \"{value}\"; known: {string.Join(", ", allowed)}");
        }
        return value;
    }

    public int[] IntList(JsonElement element, string path, int min, string what)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Error(path, $"expected {what}, got {Show(element)}");
        }
        var values = new List<int>();
        int index = 0;
        foreach (var item in element.EnumerateArray())
        {
            values.Add(Int(item, $"{path}[{index++}]", min));
        }
        return [.. values];
    }

    /// <summary>The fields of one JSON object, read by name with defaults and checks.</summary>
    internal sealed class Fields(SpecReader reader, string path, Dictionary<string, JsonElement> fields)
    {
        public string Path => path;

        public SpecReader Reader => reader;

        public bool Has(string name) => fields.ContainsKey(name);

        public string PathOf(string name) => Child(path, name);

        public JsonElement Required(string name, string what) =>
            fields.TryGetValue(name, out var value) ? value : throw reader.Error(PathOf(name), $"missing; expected {what}");

        public JsonElement? Optional(string name) => fields.TryGetValue(name, out var value) ? value : null;

        public int Int(string name, int fallback, int min = 1) =>
            Optional(name) is { } e ? reader.Int(e, PathOf(name), min) : fallback;

        public int RequiredInt(string name, int min = 1) => reader.Int(Required(name, IntDescription(min)), PathOf(name), min);

        public int RequiredCount(string name) => reader.Count(Required(name, CountDescription), PathOf(name));

        public int? OptionalInt(string name, int min = 1) => Optional(name) is { } e ? reader.Int(e, PathOf(name), min) : null;

        public double Number(string name, double fallback, Func<double, bool> ok, string what) =>
            Optional(name) is { } e ? reader.Number(e, PathOf(name), ok, what) : fallback;

        public double RequiredNumber(string name, Func<double, bool> ok, string what) =>
            reader.Number(Required(name, what), PathOf(name), ok, what);

        public double? OptionalNumber(string name, Func<double, bool> ok, string what) =>
            Optional(name) is { } e ? reader.Number(e, PathOf(name), ok, what) : null;

        public bool Bool(string name, bool fallback)
        {
            if (Optional(name) is not { } e)
            {
                return fallback;
            }
            return e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw reader.Error(PathOf(name), $"expected true or false, got {Show(e)}"),
            };
        }

        public string Choice(string name, string fallback, string what, IReadOnlyCollection<string> allowed) =>
            Optional(name) is { } e ? reader.Choice(e, PathOf(name), what, allowed) : fallback;

        public string? OptionalChoice(string name, string what, IReadOnlyCollection<string> allowed) =>
            Optional(name) is { } e ? reader.Choice(e, PathOf(name), what, allowed) : null;

        public string? OptionalString(string name, string what) =>
            Optional(name) is { } e ? reader.String(e, PathOf(name), what) : null;
    }
}

/// <summary>The value checks the spec uses, with the words its messages use.</summary>
internal static class Check
{
    public static readonly Func<double, bool> Positive = v => v > 0;
    public static readonly Func<double, bool> NonNegative = v => v >= 0;
    public static readonly Func<double, bool> Any = _ => true;
    public static readonly Func<double, bool> Probability = v => v >= 0 && v < 1;
    public static readonly Func<double, bool> UnitClosed = v => v >= 0 && v <= 1;
    public static readonly Func<double, bool> UnitOpen = v => v > 0 && v < 1;

    public const string PositiveText = "a positive number";
    public const string NonNegativeText = "a number >= 0";
    public const string AnyText = "a finite number";
    public const string ProbabilityText = "a number in [0, 1)";
    public const string UnitClosedText = "a number in [0, 1]";
    public const string UnitOpenText = "a number in (0, 1)";

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
