using System.Text.Json.Nodes;
using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Data;

/// <summary>
/// A feature transform fitted on the training set and saved with a model (as JSON) so that
/// evaluation and prediction apply the same one. Features of a sample are its values flattened
/// (F = the product of the sample shape); the statistics are per feature (F values) or one for all.
/// </summary>
public interface IPreprocessor
{
    /// <summary>A new tensor [N, …] with the transform applied to each sample of <paramref name="features"/>.</summary>
    /// <exception cref="ArgumentException">The samples do not have the fitted number of features.</exception>
    Tensor Apply(Tensor features);

    /// <summary>The dataset with transformed features (targets, names and task unchanged).</summary>
    Dataset Apply(Dataset data);

    /// <summary>The transform as JSON, read back by <see cref="Preprocessor.FromJson"/>.</summary>
    JsonObject ToJson();
}

/// <summary>Reads a preprocessor back from the JSON its <see cref="IPreprocessor.ToJson"/> wrote.</summary>
public static class Preprocessor
{
    /// <summary>
    /// The preprocessor <paramref name="node"/> describes: <c>{"type": "standardize", "mean": […], "std": […]}</c>
    /// or <c>{"type": "min_max", "min": […], "max": […]}</c>.
    /// </summary>
    /// <param name="node">The JSON object.</param>
    /// <param name="path">The JSON path of <paramref name="node"/>, used in error messages.</param>
    /// <exception cref="InvalidDataException">The JSON is not a valid preprocessor; the message names the field.</exception>
    public static IPreprocessor FromJson(JsonNode? node, string path = "preprocessing")
    {
        if (node is not JsonObject obj)
        {
            throw new InvalidDataException($"{path}: expected an object with a \"type\".");
        }
        string? type = obj["type"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        return type switch
        {
            "standardize" => Standardize.Create(Floats(obj, "mean", path), Floats(obj, "std", path), path),
            "min_max" => MinMaxScale.Create(Floats(obj, "min", path), Floats(obj, "max", path), path),
            _ => throw new InvalidDataException($"{path}.type: expected \"standardize\" or \"min_max\"; got {obj["type"]?.ToJsonString() ?? "nothing"}."),
        };
    }

    private static float[] Floats(JsonObject obj, string name, string path)
    {
        if (obj[name] is not JsonArray array || array.Count == 0)
        {
            throw new InvalidDataException($"{path}.{name}: expected a non-empty array of numbers.");
        }
        var values = new float[array.Count];
        for (int i = 0; i < values.Length; i++)
        {
            if (array[i] is not JsonValue item || !item.TryGetValue(out double d) || !double.IsFinite(d))
            {
                throw new InvalidDataException($"{path}.{name}[{i}]: expected a finite number; got {array[i]?.ToJsonString() ?? "null"}.");
            }
            values[i] = (float)d;
        }
        return values;
    }

    internal static JsonArray ToJsonArray(float[] values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    /// <summary>y = (x − shift[f]) / divisor[f] for each sample, feature f (or the one statistic for all).</summary>
    internal static Tensor Affine(Tensor features, float[] shift, float[] divisor, string name)
    {
        if (features.Rank < 1)
        {
            throw new ArgumentException($"{name}: features must have a sample axis; got a scalar.");
        }
        int n = features.Shape[0];
        int width = n == 0 ? shift.Length : features.Count / n;
        if (shift.Length != 1 && width != shift.Length)
        {
            throw new ArgumentException(
                $"{name}: fitted on {shift.Length} features per sample, but the input {Shapes.Format(features.Shape)} has {width}.");
        }
        var y = new float[features.Count];
        ReadOnlySpan<float> x = features.Data;
        for (int start = 0; start < y.Length; start += width)
        {
            for (int f = 0; f < width; f++)
            {
                int s = shift.Length == 1 ? 0 : f;
                y[start + f] = (x[start + f] - shift[s]) / divisor[s];
            }
        }
        return new Tensor(y, features.ShapeArray.ToArray());
    }

    /// <summary>
    /// <paramref name="data"/> with y = (x − shift[f]) / divisor[f] applied to its features: the same stored bytes
    /// under that scaling when the features are unscaled bytes (<see cref="Dataset.FromBytes"/>), else a scaled float copy.
    /// </summary>
    internal static Dataset Affine(Dataset data, float[] shift, float[] divisor, string name)
    {
        if (data.StoredBytes is { IsRaw: true } bytes)
        {
            int width = data.Count == 0 ? shift.Length : data.FeatureCount;
            if (shift.Length != 1 && width != shift.Length)
            {
                throw new ArgumentException(
                    $"{name}: fitted on {shift.Length} features per sample, but the input {Shapes.Format([data.Count, .. data.SampleShape])} has {width}.");
            }
            return data.WithBytes(bytes.Scaled(shift, divisor));
        }
        return data.WithData(Affine(data.Features, shift, divisor, name), data.Targets);
    }

    /// <summary>
    /// Per-feature (or, with perFeature false, overall) minima and maxima for fitting and, with
    /// <paramref name="moments"/>, means and variances in double (else empty).
    /// </summary>
    internal static (double[] Mean, double[] Variance, float[] Min, float[] Max) Statistics(Dataset data, bool perFeature, string name, bool moments = true)
    {
        if (data.Count == 0)
        {
            throw new ArgumentException($"{name}: cannot fit on an empty dataset.");
        }
        if (data.StoredBytes is { IsRaw: true } bytes)
        {
            return ByteStatistics(bytes, perFeature, moments);
        }
        int width = data.FeatureCount, k = perFeature ? width : 1;
        var sum = new double[k];
        var sumSquares = new double[k];
        var min = Enumerable.Repeat(float.PositiveInfinity, k).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, k).ToArray();
        ReadOnlySpan<float> x = data.Features.Data;
        for (int i = 0; i < x.Length; i++)
        {
            int s = perFeature ? i % width : 0;
            sum[s] += x[i];
            min[s] = MathF.Min(min[s], x[i]);
            max[s] = MathF.Max(max[s], x[i]);
        }
        if (!moments)
        {
            return ([], [], min, max);
        }
        double per = (double)x.Length / k;
        var mean = sum.Select(v => v / per).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            int s = perFeature ? i % width : 0;
            double d = x[i] - mean[s];
            sumSquares[s] += d * d;
        }
        return (mean, sumSquares.Select(v => v / per).ToArray(), min, max);
    }

    /// <summary>
    /// <see cref="Statistics"/> of unscaled bytes, equal to those of the bytes read as floats: the sums of integers
    /// are exact in any order, and the squared deviations are summed in the same order as there.
    /// </summary>
    private static (double[] Mean, double[] Variance, float[] Min, float[] Max) ByteStatistics(ByteFeatures bytes, bool perFeature, bool moments)
    {
        ReadOnlySpan<byte> x = bytes.Values;
        int width = bytes.FeatureCount, k = perFeature ? width : 1;
        var min = new byte[k];
        var max = new byte[k];
        if (perFeature)
        {
            x[..width].CopyTo(min);
            x[..width].CopyTo(max);
            for (int start = width; start < x.Length; start += width)
            {
                TensorPrimitives.Min(x.Slice(start, width), min, min);
                TensorPrimitives.Max(x.Slice(start, width), max, max);
            }
        }
        else
        {
            (min[0], max[0]) = (TensorPrimitives.Min(x), TensorPrimitives.Max(x));
        }
        var minima = min.Select(v => (float)v).ToArray();
        var maxima = max.Select(v => (float)v).ToArray();
        if (!moments)
        {
            return ([], [], minima, maxima);
        }
        var sum = new long[k];
        for (int i = 0; i < x.Length; i++)
        {
            sum[perFeature ? i % width : 0] += x[i];
        }
        double per = (double)x.Length / k;
        var mean = sum.Select(v => v / per).ToArray();
        var sumSquares = new double[k];
        for (int i = 0; i < x.Length; i++)
        {
            int s = perFeature ? i % width : 0;
            double d = x[i] - mean[s];
            sumSquares[s] += d * d;
        }
        return (mean, sumSquares.Select(v => v / per).ToArray(), minima, maxima);
    }
}

/// <summary>
/// Standardization: x′ = (x − mean) / std, with the mean and the population standard deviation
/// (ddof 0, as sklearn's StandardScaler) of each feature over the training set. A constant feature
/// (std 0) gets std 1, so that it maps to 0.
/// </summary>
public sealed class Standardize : IPreprocessor
{
    private readonly float[] _mean, _std;

    private Standardize(float[] mean, float[] std)
    {
        _mean = mean;
        _std = std;
    }

    /// <summary>The mean of each feature (one value when fitted over all features together).</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>The standard deviation of each feature (1 where the feature is constant).</summary>
    public IReadOnlyList<float> Std => _std;

    /// <summary>
    /// Fits on <paramref name="train"/>: per feature, or with <paramref name="perFeature"/> false one
    /// mean and std over all values (as images are usually normalized).
    /// </summary>
    public static Standardize Fit(Dataset train, bool perFeature = true)
    {
        var (mean, variance, _, _) = Preprocessor.Statistics(train, perFeature, nameof(Standardize));
        var std = variance.Select(v => (float)Math.Sqrt(v)).Select(s => s > 0 && float.IsFinite(s) ? s : 1f).ToArray();
        return new Standardize(mean.Select(m => (float)m).ToArray(), std);
    }

    internal static Standardize Create(float[] mean, float[] std, string path)
    {
        if (mean.Length != std.Length)
        {
            throw new InvalidDataException($"{path}: {mean.Length} means but {std.Length} standard deviations.");
        }
        int bad = Array.FindIndex(std, s => !(s > 0));
        if (bad >= 0)
        {
            throw new InvalidDataException($"{path}.std[{bad}]: a standard deviation must be > 0; got {std[bad]}.");
        }
        return new Standardize(mean, std);
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor features) => Preprocessor.Affine(features, _mean, _std, nameof(Standardize));

    /// <inheritdoc/>
    public Dataset Apply(Dataset data) => Preprocessor.Affine(data, _mean, _std, nameof(Standardize));

    /// <inheritdoc/>
    public JsonObject ToJson() => new()
    {
        ["type"] = "standardize",
        ["mean"] = Preprocessor.ToJsonArray(_mean),
        ["std"] = Preprocessor.ToJsonArray(_std),
    };
}

/// <summary>
/// Min-max scaling to [0, 1]: x′ = (x − min) / (max − min), with the minimum and maximum of each
/// feature over the training set (other data may fall outside [0, 1]). A constant feature (max =
/// min) is only shifted: x′ = x − min.
/// </summary>
public sealed class MinMaxScale : IPreprocessor
{
    private readonly float[] _min, _max, _range;

    private MinMaxScale(float[] min, float[] max)
    {
        _min = min;
        _max = max;
        _range = min.Zip(max, (lo, hi) => hi > lo ? hi - lo : 1f).ToArray();
    }

    /// <summary>The minimum of each feature (one value when fitted over all features together).</summary>
    public IReadOnlyList<float> Min => _min;

    /// <summary>The maximum of each feature (one value when fitted over all features together).</summary>
    public IReadOnlyList<float> Max => _max;

    /// <summary>What each feature is divided by: max − min, or 1 for a constant feature.</summary>
    public IReadOnlyList<float> Range => _range;

    /// <summary>
    /// Fits on <paramref name="train"/>: per feature, or with <paramref name="perFeature"/> false one
    /// range over all values (images: 0 … 255 → 0 … 1 whenever some pixel is 0 and some 255).
    /// </summary>
    public static MinMaxScale Fit(Dataset train, bool perFeature = true)
    {
        var (_, _, min, max) = Preprocessor.Statistics(train, perFeature, nameof(MinMaxScale), moments: false);
        return new MinMaxScale(min, max);
    }

    internal static MinMaxScale Create(float[] min, float[] max, string path)
    {
        if (min.Length != max.Length)
        {
            throw new InvalidDataException($"{path}: {min.Length} minima but {max.Length} maxima.");
        }
        for (int i = 0; i < min.Length; i++)
        {
            if (min[i] > max[i])
            {
                throw new InvalidDataException($"{path}.min[{i}]: the minimum {min[i]} is above the maximum {max[i]}.");
            }
        }
        return new MinMaxScale(min, max);
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor features) => Preprocessor.Affine(features, _min, _range, nameof(MinMaxScale));

    /// <inheritdoc/>
    public Dataset Apply(Dataset data) => Preprocessor.Affine(data, _min, _range, nameof(MinMaxScale));

    /// <inheritdoc/>
    public JsonObject ToJson() => new()
    {
        ["type"] = "min_max",
        ["min"] = Preprocessor.ToJsonArray(_min),
        ["max"] = Preprocessor.ToJsonArray(_max),
    };
}
