using System.Globalization;
using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>How <see cref="CsvData.Read"/> reads a CSV file.</summary>
public sealed record CsvOptions
{
    /// <summary>The name of the target column; every other column is a feature.</summary>
    public string Target { get; init; } = "label";

    /// <summary>
    /// Forces the task. Null (the default) infers it: classification when every label is a
    /// non-negative integer or when some label is not a number; regression otherwise.
    /// </summary>
    public TaskKind? Task { get; init; }

    /// <summary>
    /// The class names to map labels onto (those saved with a model, so that a test file maps as the
    /// training file did); a label not among them is an error. Null: derived from the file.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The feature columns by name, in this order (those saved with a model, so that a test file is read
    /// as the training file was, whatever its column order); a missing one is an error and other columns
    /// are ignored. Null: every column but the target, in file order.
    /// </summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>
    /// When set, every feature is an integer id below this count (the input of an embedding with as many rows): a
    /// value that is not a whole number, negative or too large is an error naming its line and column.
    /// </summary>
    public int? IdCount { get; init; }
}

/// <summary>
/// Reads comma-separated files with a header row into a <see cref="Dataset"/> (training,
/// evaluation) or a feature tensor (prediction).
/// </summary>
/// <remarks>
/// <para>Format: the first line names the columns (unique, non-empty); every other non-blank line
/// has one field per column. Fields may be double-quoted (RFC 4180, "" for a quote inside, no line
/// breaks inside); spaces around a field are ignored. Features are finite numbers in the invariant
/// culture (1.5, -2e-3).</para>
/// <para>Labels. Numeric labels that are all non-negative integers are class indices as they stand:
/// the class count is the largest label + 1 and the class names are "0", "1", … — so a file that
/// lacks some class still maps as the training file did. A largest label of <see cref="Dataset.MaxClasses"/>
/// or more is an error that suggests regression (integer prices or counts are not classes). Other numeric labels make a regression
/// target [N, 1]. Labels that are not all numbers are class names, mapped to indices in ordinal
/// sort order (or onto <see cref="CsvOptions.ClassNames"/> when given). <see cref="CsvOptions.Task"/>
/// overrides the inference: regression needs numeric labels; forced classification of numbers
/// that are not non-negative integers treats them as names.</para>
/// <para>Every error is an <see cref="InvalidDataException"/> naming the file, the line (1-based,
/// the header is line 1) and the column, e.g. <c>data.csv line 7, column "x2": "abc" is not a number</c>.</para>
/// </remarks>
public static class CsvData
{
    /// <summary>Reads a labelled CSV file: features [N, F] with the column names, and targets.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed (see the remarks).</exception>
    public static Dataset Read(string path, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        var table = ReadTable(path);
        int targetColumn = Array.IndexOf(table.Header, options.Target);
        if (targetColumn < 0)
        {
            throw new InvalidDataException(
                $"{path} line 1: no target column \"{options.Target}\"; the columns are {string.Join(", ", table.Header.Select(h => $"\"{Shown(h)}\""))}.");
        }
        if (table.Header.Length < 2)
        {
            throw new InvalidDataException($"{path} line 1: the target \"{options.Target}\" is the only column; there are no features.");
        }
        var featureColumns = options.FeatureNames is { } names
            ? ColumnsNamed(path, table, names)
            : Enumerable.Range(0, table.Header.Length).Where(c => c != targetColumn).ToArray();
        var features = ParseFeatures(path, table, featureColumns, options.IdCount);
        var featureNames = featureColumns.Select(c => table.Header[c]).ToArray();
        int n = table.Rows.Count;

        var labels = new string[n];
        for (int r = 0; r < n; r++)
        {
            labels[r] = table.Rows[r].Fields[targetColumn];
            if (labels[r].Length == 0)
            {
                throw new InvalidDataException($"{path} line {table.Rows[r].Line}, column \"{options.Target}\": the value is missing.");
            }
        }
        var numbers = new float[n];
        bool allNumeric = true, allIndices = true;
        for (int r = 0; r < n && allNumeric; r++)
        {
            allNumeric = TryParseNumber(labels[r], out numbers[r]);
            allIndices &= allNumeric && numbers[r] >= 0 && numbers[r] == MathF.Floor(numbers[r]);
        }

        var task = options.Task ?? (allNumeric && !allIndices ? TaskKind.Regression : TaskKind.Classification);
        if (task == TaskKind.Regression)
        {
            if (options.ClassNames is not null)
            {
                throw new ArgumentException("CsvData: class names are given for a regression target.");
            }
            for (int r = 0; r < n; r++)
            {
                if (!TryParseNumber(labels[r], out numbers[r]))
                {
                    throw NotANumber(path, table.Rows[r].Line, options.Target, labels[r]);
                }
            }
            return new Dataset(new Tensor(features, [n, featureColumns.Length]), new Tensor(numbers, [n, 1]),
                TaskKind.Regression, featureNames: featureNames);
        }

        IReadOnlyList<string> classNames;
        if (options.ClassNames is { } given)
        {
            classNames = given;
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int c = 0; c < given.Count; c++)
            {
                index[given[c]] = c;
            }
            for (int r = 0; r < n; r++)
            {
                if (!index.TryGetValue(labels[r], out int c))
                {
                    throw new InvalidDataException(
                        $"{path} line {table.Rows[r].Line}, column \"{options.Target}\": \"{Shown(labels[r])}\" is not one of the {given.Count} known classes.");
                }
                numbers[r] = c;
            }
        }
        else if (allIndices)
        {
            int largest = Array.IndexOf(numbers, numbers.Max());
            if (numbers[largest] >= Dataset.MaxClasses)
            {
                throw new InvalidDataException(
                    $"{path} line {table.Rows[largest].Line}, column \"{options.Target}\": the label {labels[largest]} would make {numbers[largest] + 1} classes (at most {Dataset.MaxClasses}); read the target as regression to predict it as a number.");
            }
            int classes = (int)numbers[largest] + 1;
            classNames = Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        else
        {
            var sorted = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            classNames = sorted;
            for (int r = 0; r < n; r++)
            {
                numbers[r] = Array.BinarySearch(sorted, labels[r], StringComparer.Ordinal);
            }
        }
        return new Dataset(new Tensor(features, [n, featureColumns.Length]), new Tensor(numbers, [n]),
            TaskKind.Classification, classNames, featureNames);
    }

    /// <summary>
    /// Reads prediction inputs: the columns named <paramref name="featureNames"/>, in that order, as a
    /// tensor [N, F]. The file may hold other columns (a label, an id); they are ignored.
    /// </summary>
    /// <exception cref="InvalidDataException">A feature column is missing, or a value is missing or not a number (or, with
    /// <paramref name="idCount"/>, not an id below it: see <see cref="CsvOptions.IdCount"/>).</exception>
    public static Tensor ReadFeatures(string path, IReadOnlyList<string> featureNames, int? idCount = null)
    {
        var table = ReadTable(path);
        var columns = ColumnsNamed(path, table, featureNames);
        return new Tensor(ParseFeatures(path, table, columns, idCount), [table.Rows.Count, columns.Length]);
    }

    /// <summary>
    /// Reads prediction inputs by position, for a model that records no column names: every column but
    /// <paramref name="target"/> (when the file has one), in file order, as a tensor [N, F]; there must be
    /// exactly <paramref name="count"/> of them.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has another number of feature columns, or a value is missing or not a number
    /// (or, with <paramref name="idCount"/>, not an id below it).</exception>
    public static Tensor ReadFeatures(string path, int count, string target = "label", int? idCount = null)
    {
        var table = ReadTable(path);
        var columns = Enumerable.Range(0, table.Header.Length).Where(c => table.Header[c] != target).ToArray();
        if (columns.Length != count)
        {
            bool hasTarget = columns.Length < table.Header.Length;
            throw new InvalidDataException(
                $"{path} line 1: {columns.Length} feature column{(columns.Length == 1 ? "" : "s")}{(hasTarget ? $" besides \"{target}\"" : "")}, but the model takes {count} inputs (it records no column names, so they are read by position).");
        }
        return new Tensor(ParseFeatures(path, table, columns, idCount), [table.Rows.Count, columns.Length]);
    }

    private static int[] ColumnsNamed(string path, Table table, IReadOnlyList<string> names)
    {
        var columns = new int[names.Count];
        for (int f = 0; f < names.Count; f++)
        {
            columns[f] = Array.IndexOf(table.Header, names[f]);
            if (columns[f] < 0)
            {
                throw new InvalidDataException(
                    $"{path} line 1: no column \"{names[f]}\"; the model needs the columns {string.Join(", ", names.Select(h => $"\"{h}\""))}.");
            }
        }
        return columns;
    }

    private sealed record Row(int Line, string[] Fields);

    private sealed record Table(string[] Header, List<Row> Rows);

    private static Table ReadTable(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        using var reader = new StreamReader(path);
        string[]? header = null;
        var rows = new List<Row>();
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            if (header is null)
            {
                header = SplitLine(text, path, line);
                for (int c = 0; c < header.Length; c++)
                {
                    if (header[c].Length == 0)
                    {
                        throw new InvalidDataException($"{path} line {line}: column {c + 1} of the header has no name.");
                    }
                    if (Array.IndexOf(header, header[c], 0, c) >= 0)
                    {
                        throw new InvalidDataException($"{path} line {line}: the column name \"{header[c]}\" appears twice.");
                    }
                }
                continue;
            }
            var fields = SplitLine(text, path, line);
            if (fields.Length != header.Length)
            {
                throw new InvalidDataException(
                    $"{path} line {line}: {fields.Length} fields, but the header has {header.Length} columns.");
            }
            rows.Add(new Row(line, fields));
        }
        if (header is null)
        {
            throw new InvalidDataException($"{path}: the file is empty; expected a header row.");
        }
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{path}: the file has a header but no data rows.");
        }
        return new Table(header, rows);
    }

    private static float[] ParseFeatures(string path, Table table, int[] columns, int? idCount)
    {
        var values = new float[table.Rows.Count * columns.Length];
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            for (int f = 0; f < columns.Length; f++)
            {
                string field = row.Fields[columns[f]];
                if (field.Length == 0)
                {
                    throw new InvalidDataException($"{path} line {row.Line}, column \"{Shown(table.Header[columns[f]])}\": the value is missing.");
                }
                if (!TryParseNumber(field, out float value))
                {
                    throw NotANumber(path, row.Line, table.Header[columns[f]], field);
                }
                if (idCount is { } ids && IdProblem(value, ids) is { } problem)
                {
                    throw new InvalidDataException($"{path} line {row.Line}, column \"{table.Header[columns[f]]}\": the id {field} {problem}.");
                }
                values[r * columns.Length + f] = value;
            }
        }
        return values;
    }

    /// <summary>What is wrong with <paramref name="value"/> as an id below <paramref name="count"/>, or null.</summary>
    private static string? IdProblem(float value, int count) =>
        value != MathF.Floor(value) ? "is not a whole number"
        : value < 0 ? "is negative"
        : value >= count ? $"is out of range for {count} embeddings (ids 0 to {count - 1})"
        : null;

    private static bool TryParseNumber(string field, out float value) =>
        float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    private static InvalidDataException NotANumber(string path, int line, string column, string field) =>
        new($"{path} line {line}, column \"{Shown(column)}\": \"{Shown(field)}\" is not a number.");

    /// <summary>A name or value as a message quotes it: at most 40 characters.</summary>
    private static string Shown(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>Splits one line into trimmed fields, honouring double quotes.</summary>
    private static string[] SplitLine(string text, string path, int line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        int i = 0;
        while (true)
        {
            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
            }
            field.Clear();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new InvalidDataException($"{path} line {line}, field {fields.Count + 1}: a quoted field is not closed.");
                    }
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                while (i < text.Length && text[i] is ' ' or '\t')
                {
                    i++;
                }
                if (i < text.Length && text[i] != ',')
                {
                    throw new InvalidDataException($"{path} line {line}, field {fields.Count + 1}: text after a closing quote.");
                }
                fields.Add(field.ToString());
            }
            else
            {
                int end = text.IndexOf(',', i);
                if (end < 0)
                {
                    end = text.Length;
                }
                fields.Add(text[i..end].Trim());
                i = end;
            }
            if (i >= text.Length)
            {
                return fields.ToArray();
            }
            i++; // the comma
        }
    }
}
