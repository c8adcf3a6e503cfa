using System.Globalization;
using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>What <see cref="DataSources.Load"/> read: the training data and, where the source has one, a test set.</summary>
public sealed record LoadedData(Dataset Train, Dataset? Test);

/// <summary>Options of <see cref="DataSources.Load"/>; parameters written in a synthetic source name win over these.</summary>
public sealed record DataSourceOptions
{
    /// <summary>The seed of a synthetic generator.</summary>
    public ulong Seed { get; init; }

    /// <summary>The number of synthetic training samples (the <c>n</c> parameter); default 1000.</summary>
    public int? Count { get; init; }

    /// <summary>The synthetic noise σ (the <c>noise</c> parameter); default per generator, see <see cref="DataSources.SyntheticNames"/>.</summary>
    public float? Noise { get; init; }

    /// <summary>The number of synthetic test samples (the <c>test</c> parameter); none unless asked.</summary>
    public int? TestCount { get; init; }

    /// <summary>The target column of a CSV file.</summary>
    public string Target { get; init; } = "label";

    /// <summary>Forces the task of a CSV file (see <see cref="CsvOptions.Task"/>).</summary>
    public TaskKind? Task { get; init; }

    /// <summary>The class names to map CSV labels onto, e.g. those saved with a model.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The feature columns of a CSV file by name, e.g. those saved with a model (see <see cref="CsvOptions.FeatureNames"/>).</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>When set, a CSV file's features are integer ids below this count, checked line by line (<see cref="CsvOptions.IdCount"/>).</summary>
    public int? IdCount { get; init; }

    /// <summary>The vocabulary to map a text's characters onto, e.g. the one saved with a model; null: the text's own.</summary>
    public IReadOnlyList<string>? Vocabulary { get; init; }

    /// <summary>Where the <c>fashion-mnist</c> source looks for its files.</summary>
    public string FashionMnistDirectory { get; init; } = Idx.FashionMnistDirectory;
}

/// <summary>Turns a source name into data: a synthetic generator, Fashion-MNIST, a CSV file, an IDX pair or a text.</summary>
/// <remarks>
/// <para>Sources:</para>
/// <list type="bullet">
/// <item>a synthetic name, optionally with parameters: <c>spirals</c>, <c>spirals:n=1000,noise=0.2,classes=3</c>.
/// Every generator takes <c>n</c> (training samples, default 1000), <c>noise</c> (σ, default per
/// generator), <c>seed</c> and <c>test</c> (test samples, drawn after the training samples from the
/// same generator, so asking for a test set leaves the training set unchanged); <c>spirals</c> (default 2) and
/// <c>blobs</c> (default 3) take <c>classes</c>, <c>blobs</c> <c>features</c>, <c>circles</c> <c>factor</c>;
/// TensorFlow Playground's sets and blobs take <c>geometry=playground</c> (<see cref="SyntheticGeometry.Playground"/>).
/// <c>sine-series</c> takes <c>seq</c> (steps per sample, default 32) and <c>addition</c> <c>digits</c> (default 3; no
/// noise; its test questions are never training ones). See <see cref="Synthetic"/> for the formulas.</item>
/// <item><c>text:PATH,seq=N</c>, optionally <c>,test=F</c>: character-level language-model windows of a UTF-8 text, the
/// last F (default 0.1) of it held out as the test set (<see cref="TextData"/>).</item>
/// <item><c>fashion-mnist</c>: the training and test sets of <see cref="Idx.LoadFashionMnist"/>.</item>
/// <item><c>idx:IMAGES,LABELS</c>: a pair of IDX files (<see cref="Idx.Load"/>), training data only.</item>
/// <item>anything else is a CSV path (<see cref="CsvData.Read"/>), training data only.</item>
/// </list>
/// </remarks>
public static class DataSources
{
    /// <summary>A generator: its default noise, its own parameter names, and, given the parameters and a
    /// random stream, a sampler of n samples (called once for the training set, once for a test set).</summary>
    private sealed record SyntheticSource(
        float DefaultNoise, string[] Extra, Func<Parameters, Generator, Func<int, Dataset>> Sampler, int DefaultClasses = 2, bool Noisy = true);

    private sealed record Parameters(float Noise, int Classes, int Features, float Factor, SyntheticGeometry Geometry, int Steps = 32, int Digits = 3);

    private static readonly Dictionary<string, SyntheticSource> Generators = new(StringComparer.Ordinal)
    {
        ["xor"] = new(0.05f, ["geometry"], (p, rng) => n => Synthetic.Xor(n, p.Noise, rng, p.Geometry)),
        ["circles"] = new(0.05f, ["factor", "geometry"], (p, rng) => n => Synthetic.Circles(n, p.Noise, rng, p.Factor, p.Geometry)),
        ["gaussians"] = new(0.5f, ["geometry"], (p, rng) => n => Synthetic.Gaussians(n, p.Noise, rng, p.Geometry)),
        ["spirals"] = new(0.02f, ["classes", "geometry"], (p, rng) => n => Synthetic.Spirals(n, p.Noise, rng, p.Classes, p.Geometry)),
        ["moons"] = new(0.1f, [], (p, rng) => n => Synthetic.Moons(n, p.Noise, rng)),
        ["blobs"] = new(0.1f, ["classes", "features", "geometry"], (p, rng) =>
        {
            if (p.Geometry == SyntheticGeometry.Playground)
            {
                return n => Synthetic.Blobs(n, p.Noise, rng, p.Classes, p.Features, p.Geometry);
            }
            var centers = Synthetic.BlobCenters(p.Classes, p.Features, rng);
            return n => Synthetic.Blobs(n, p.Noise, rng, centers);
        }, DefaultClasses: 3),
        ["sin"] = new(0.05f, [], (p, rng) => n => Synthetic.Sin(n, p.Noise, rng)),
        ["abs"] = new(0.05f, [], (p, rng) => n => Synthetic.Abs(n, p.Noise, rng)),
        ["step"] = new(0.05f, [], (p, rng) => n => Synthetic.Step(n, p.Noise, rng)),
        ["plane"] = new(0.05f, ["geometry"], (p, rng) => n => Synthetic.Plane(n, p.Noise, rng, p.Geometry)),
        ["multi-gaussian"] = new(0f, ["geometry"], (p, rng) => n => Synthetic.MultiGaussian(n, p.Noise, rng, p.Geometry)),
        ["sine-series"] = new(0.05f, ["seq"], (p, rng) => n => Synthetic.SineSeries(n, p.Steps, p.Noise, rng)),
        ["addition"] = new(0f, ["digits"], (p, rng) =>
        {
            // One set of questions for the training and the test draws, so that no test question is a training one.
            var seen = new HashSet<(int, int)>();
            return n => Synthetic.Addition(n, p.Digits, rng, seen);
        }, Noisy: false),
    };

    private static readonly string[] CommonKeys = ["n", "noise", "seed", "test"];

    /// <summary>
    /// The synthetic source names with their default noise: xor 0.05, circles 0.05, gaussians 0.5,
    /// spirals 0.02, moons 0.1, blobs 0.1, sin 0.05, abs 0.05, step 0.05, plane 0.05, multi-gaussian 0,
    /// sine-series 0.05; addition takes no noise.
    /// </summary>
    public static IReadOnlyList<string> SyntheticNames { get; } = [.. Generators.Keys];

    /// <summary>
    /// <paramref name="count"/> samples of the synthetic generator <paramref name="name"/> (one of
    /// <see cref="SyntheticNames"/>) drawn from <paramref name="rng"/>, with its default noise and class
    /// count unless given: what a source name with parameters loads, for a caller that holds the values.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or a value out of range.</exception>
    public static Dataset Synthesize(string name, int count, Generator rng, float? noise = null, int? classes = null,
        SyntheticGeometry geometry = SyntheticGeometry.Unit)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!Generators.TryGetValue(name, out var generator))
        {
            throw new ArgumentException($"unknown synthetic data set \"{name}\": expected one of {string.Join(", ", SyntheticNames)}.", nameof(name));
        }
        try
        {
            return generator.Sampler(new Parameters(noise ?? generator.DefaultNoise, classes ?? generator.DefaultClasses, 2, 0.5f, geometry), rng)(count);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"synthetic data set \"{name}\": {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>Loads <paramref name="source"/> (see the remarks for the forms it takes).</summary>
    /// <exception cref="ArgumentException">An unknown source or parameter, or an invalid parameter value.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it and the place.</exception>
    public static LoadedData Load(string source, DataSourceOptions? options = null)
    {
        options ??= new DataSourceOptions();
        if (string.IsNullOrWhiteSpace(source))
        {
            throw new ArgumentException($"data source: empty; expected {Known()}.");
        }
        if (source == "fashion-mnist")
        {
            return Idx.LoadFashionMnist(options.FashionMnistDirectory);
        }
        if (source.StartsWith("text:", StringComparison.Ordinal))
        {
            return LoadText(source, options);
        }
        if (source.StartsWith("idx:", StringComparison.Ordinal))
        {
            var paths = source["idx:".Length..].Split(',');
            if (paths.Length != 2 || paths.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException($"data source \"{source}\": expected idx:IMAGES,LABELS (two file paths separated by a comma).");
            }
            return new LoadedData(Idx.Load(paths[0].Trim(), paths[1].Trim()), null);
        }
        int colon = source.IndexOf(':');
        string name = colon < 0 ? source : source[..colon];
        if (Generators.TryGetValue(name, out var generator))
        {
            return LoadSynthetic(source, name, colon < 0 ? "" : source[(colon + 1)..], generator, options);
        }
        if (source.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || File.Exists(source))
        {
            var csv = new CsvOptions
            {
                Target = options.Target,
                Task = options.Task,
                ClassNames = options.ClassNames,
                FeatureNames = options.FeatureNames,
                IdCount = options.IdCount,
            };
            return new LoadedData(CsvData.Read(source, csv), null);
        }
        throw new ArgumentException($"unknown data source \"{source}\": expected {Known()}.");
    }

    /// <summary>
    /// The vocabulary that the features of <paramref name="source"/> are ids of, found without loading its samples: a
    /// text's characters (<see cref="TextData"/>), addition's <see cref="Synthetic.AdditionVocabulary"/>; null for a
    /// source without one. A spec's "vocab" is its size.
    /// </summary>
    /// <exception cref="FileNotFoundException">A text file is missing.</exception>
    /// <exception cref="InvalidDataException">A text file is empty or not UTF-8.</exception>
    public static IReadOnlyList<string>? VocabularyOf(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.StartsWith("text:", StringComparison.Ordinal))
        {
            return TextData.VocabularyOf(SplitText(source).Path);
        }
        int colon = source.IndexOf(':');
        return (colon < 0 ? source : source[..colon]) == "addition" ? Synthetic.AdditionVocabulary : null;
    }

    /// <summary>
    /// A text source's path and parameters: the parameters are the trailing parts that hold "=", so the path may hold
    /// commas (text:a,b.txt,seq=8 reads "a,b.txt").
    /// </summary>
    internal static (string Path, string Parameters) SplitText(string source)
    {
        var parts = source["text:".Length..].Split(',');
        int first = parts.Length;
        while (first > 1 && parts[first - 1].Contains('=', StringComparison.Ordinal))
        {
            first--;
        }
        return (string.Join(',', parts[..first]).Trim(), string.Join(',', parts[first..]));
    }

    private static string Known() =>
        $"a synthetic name ({string.Join(", ", SyntheticNames)}), fashion-mnist, a CSV file path, idx:IMAGES,LABELS, or text:PATH,seq=N";

    private static LoadedData LoadSynthetic(string source, string name, string parameterText, SyntheticSource generator, DataSourceOptions options)
    {
        string[] keys = [.. CommonKeys.Where(key => generator.Noisy || key != "noise"), .. generator.Extra];
        var values = new SourceParameters(source, name, parameterText, keys);
        ulong seed = values.Seed(options.Seed);
        int trainCount = values.Int("n", options.Count ?? 1000, 1);
        var parameters = new Parameters(
            values.Float("noise", generator.Noisy ? options.Noise ?? generator.DefaultNoise : 0),
            values.Int("classes", generator.DefaultClasses, 2),
            values.Int("features", 2, 1),
            values.Float("factor", 0.5f),
            values.Geometry(),
            values.Int("seq", 32, 1),
            values.Int("digits", 3, 1));
        int testCount = values.Int("test", options.TestCount ?? 0, 0);
        var rng = new Generator(seed);
        try
        {
            var sample = generator.Sampler(parameters, rng);
            var trainSet = sample(trainCount);
            // The test samples continue the training samples' random stream: independent draws of the same distribution.
            return new LoadedData(trainSet, testCount > 0 ? sample(testCount) : null);
        }
        catch (ArgumentOutOfRangeException e)
        {
            string message = e.ParamName is { } parameter ? e.Message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal) : e.Message;
            throw new ArgumentException($"data source \"{source}\": {FirstLine(message)}", e);
        }
    }

    /// <summary>text:PATH,seq=N[,test=F].</summary>
    private static LoadedData LoadText(string source, DataSourceOptions options)
    {
        var (path, parameters) = SplitText(source);
        if (path.Length == 0)
        {
            throw new ArgumentException($"data source \"{source}\": expected text:PATH,seq=N (a UTF-8 text file and the window length).");
        }
        var values = new SourceParameters(source, "text", parameters, ["seq", "test"]);
        if (!values.Has("seq"))
        {
            throw new ArgumentException($"data source \"{source}\": missing seq=N, the characters per sample (e.g. text:{path},seq=64).");
        }
        int steps = values.Int("seq", 0, 1);
        float test = values.Float("test", (float)TextData.DefaultTestFraction);
        if (test >= 1)
        {
            throw new ArgumentException($"data source \"{source}\": test is the share of the text held out, in [0, 1); got {test}.");
        }
        return TextData.Read(path, steps, test, options.Vocabulary);
    }

    /// <summary>The key=value parameters of a source, checked against the keys it takes; values from the options are checked as those written in the name are.</summary>
    private sealed class SourceParameters
    {
        private readonly string _source;
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        public SourceParameters(string source, string name, string text, IReadOnlyCollection<string> keys)
        {
            _source = source;
            if (text.Length == 0)
            {
                return;
            }
            foreach (var pair in text.Split(','))
            {
                int eq = pair.IndexOf('=');
                string key = eq < 0 ? pair.Trim() : pair[..eq].Trim();
                if (eq < 0 || key.Length == 0)
                {
                    throw new ArgumentException($"data source \"{source}\": \"{pair}\" is not key=value.");
                }
                if (!keys.Contains(key))
                {
                    throw new ArgumentException($"data source \"{source}\": unknown parameter \"{key}\"; {name} takes {string.Join(", ", keys)}.");
                }
                if (!_values.TryAdd(key, pair[(eq + 1)..].Trim()))
                {
                    throw new ArgumentException($"data source \"{source}\": parameter \"{key}\" is given twice.");
                }
            }
        }

        public bool Has(string key) => _values.ContainsKey(key);

        public int Int(string key, int fallback, int min)
        {
            string text = _values.TryGetValue(key, out var written) ? written : fallback.ToString(CultureInfo.InvariantCulture);
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
            {
                throw new ArgumentException($"data source \"{_source}\": {key} must be an integer >= {min}; got \"{text}\".");
            }
            return value;
        }

        public float Float(string key, float fallback)
        {
            string text = _values.TryGetValue(key, out var written) ? written : fallback.ToString(CultureInfo.InvariantCulture);
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value) || value < 0)
            {
                throw new ArgumentException($"data source \"{_source}\": {key} must be a finite number >= 0; got \"{text}\".");
            }
            return value;
        }

        public SyntheticGeometry Geometry() => _values.TryGetValue("geometry", out var written)
            ? written switch
            {
                "unit" => SyntheticGeometry.Unit,
                "playground" => SyntheticGeometry.Playground,
                _ => throw new ArgumentException($"data source \"{_source}\": geometry must be unit or playground; got \"{written}\"."),
            }
            : SyntheticGeometry.Unit;

        public ulong Seed(ulong fallback)
        {
            if (!_values.TryGetValue("seed", out var text))
            {
                return fallback;
            }
            return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong seed)
                ? seed
                : throw new ArgumentException($"data source \"{_source}\": seed must be a non-negative integer; got \"{text}\".");
        }
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n');
        return (newline < 0 ? message : message[..newline]).TrimEnd();
    }
}
