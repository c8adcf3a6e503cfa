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

    /// <summary>Where the <c>fashion-mnist</c> source looks for its files.</summary>
    public string FashionMnistDirectory { get; init; } = Idx.FashionMnistDirectory;
}

/// <summary>Turns a source name into data: a synthetic generator, Fashion-MNIST, a CSV file or an IDX pair.</summary>
/// <remarks>
/// <para>Sources:</para>
/// <list type="bullet">
/// <item>a synthetic name, optionally with parameters: <c>spirals</c>, <c>spirals:n=1000,noise=0.2,classes=3</c>.
/// Every generator takes <c>n</c> (training samples, default 1000), <c>noise</c> (σ, default per
/// generator), <c>seed</c> and <c>test</c> (test samples, drawn after the training samples from the
/// same generator, so asking for a test set leaves the training set unchanged); <c>spirals</c> (default 2) and
/// <c>blobs</c> (default 3) take <c>classes</c>, <c>blobs</c> <c>features</c>, <c>circles</c> <c>factor</c>;
/// TensorFlow Playground's sets and blobs take <c>geometry=playground</c> (<see cref="SyntheticGeometry.Playground"/>).
/// See <see cref="Synthetic"/> for the formulas.</item>
/// <item><c>fashion-mnist</c>: the training and test sets of <see cref="Idx.LoadFashionMnist"/>.</item>
/// <item><c>idx:IMAGES,LABELS</c>: a pair of IDX files (<see cref="Idx.Load"/>), training data only.</item>
/// <item>anything else is a CSV path (<see cref="CsvData.Read"/>), training data only.</item>
/// </list>
/// </remarks>
public static class DataSources
{
    /// <summary>A generator: its default noise, its own parameter names, and, given the parameters and a
    /// random stream, a sampler of n samples (called once for the training set, once for a test set).</summary>
    private sealed record SyntheticSource(float DefaultNoise, string[] Extra, Func<Parameters, Generator, Func<int, Dataset>> Sampler, int DefaultClasses = 2);

    private sealed record Parameters(float Noise, int Classes, int Features, float Factor, SyntheticGeometry Geometry);

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
    };

    private static readonly string[] CommonKeys = ["n", "noise", "seed", "test"];

    /// <summary>
    /// The synthetic source names with their default noise: xor 0.05, circles 0.05, gaussians 0.5,
    /// spirals 0.02, moons 0.1, blobs 0.1, sin 0.05, abs 0.05, step 0.05, plane 0.05, multi-gaussian 0.
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
            var csv = new CsvOptions { Target = options.Target, Task = options.Task, ClassNames = options.ClassNames, FeatureNames = options.FeatureNames };
            return new LoadedData(CsvData.Read(source, csv), null);
        }
        throw new ArgumentException($"unknown data source \"{source}\": expected {Known()}.");
    }

    private static string Known() =>
        $"a synthetic name ({string.Join(", ", SyntheticNames)}), fashion-mnist, a CSV file path, or idx:IMAGES,LABELS";

    private static LoadedData LoadSynthetic(string source, string name, string parameterText, SyntheticSource generator, DataSourceOptions options)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parameterText.Length > 0)
        {
            foreach (var pair in parameterText.Split(','))
            {
                int eq = pair.IndexOf('=');
                string key = eq < 0 ? pair.Trim() : pair[..eq].Trim();
                if (eq < 0 || key.Length == 0)
                {
                    throw new ArgumentException($"data source \"{source}\": \"{pair}\" is not key=value.");
                }
                if (!CommonKeys.Contains(key) && !generator.Extra.Contains(key))
                {
                    throw new ArgumentException(
                        $"data source \"{source}\": unknown parameter \"{key}\"; {name} takes {string.Join(", ", CommonKeys.Concat(generator.Extra))}.");
                }
                if (!values.TryAdd(key, pair[(eq + 1)..].Trim()))
                {
                    throw new ArgumentException($"data source \"{source}\": parameter \"{key}\" is given twice.");
                }
            }
        }

        // Values from the options are checked as those written in the name are.
        int Int(string key, int fallback, int min)
        {
            string text = values.TryGetValue(key, out var written) ? written : fallback.ToString(CultureInfo.InvariantCulture);
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
            {
                throw new ArgumentException($"data source \"{source}\": {key} must be an integer >= {min}; got \"{text}\".");
            }
            return value;
        }

        float Float(string key, float fallback)
        {
            string text = values.TryGetValue(key, out var written) ? written : fallback.ToString(CultureInfo.InvariantCulture);
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value) || value < 0)
            {
                throw new ArgumentException($"data source \"{source}\": {key} must be a finite number >= 0; got \"{text}\".");
            }
            return value;
        }

        SyntheticGeometry Geometry() => values.TryGetValue("geometry", out var written)
            ? written switch
            {
                "unit" => SyntheticGeometry.Unit,
                "playground" => SyntheticGeometry.Playground,
                _ => throw new ArgumentException($"data source \"{source}\": geometry must be unit or playground; got \"{written}\"."),
            }
            : SyntheticGeometry.Unit;

        ulong seed = options.Seed;
        if (values.TryGetValue("seed", out var seedText) && !ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
        {
            throw new ArgumentException($"data source \"{source}\": seed must be a non-negative integer; got \"{seedText}\".");
        }
        int trainCount = Int("n", options.Count ?? 1000, 1);
        var parameters = new Parameters(
            Float("noise", options.Noise ?? generator.DefaultNoise),
            Int("classes", generator.DefaultClasses, 2),
            Int("features", 2, 1),
            Float("factor", 0.5f),
            Geometry());
        int testCount = Int("test", options.TestCount ?? 0, 0);
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
            throw new ArgumentException($"data source \"{source}\": {FirstLine(e.Message)}", e);
        }
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n');
        return (newline < 0 ? message : message[..newline]).TrimEnd();
    }
}
