using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>
/// Seeded synthetic datasets for classification and regression, after scikit-learn's make_circles,
/// make_moons and make_blobs and TensorFlow Playground's xor, gaussians, spirals, plane and
/// multi-gaussian sets, scaled so that the inputs lie roughly in [−1, 1].
/// </summary>
/// <remarks>
/// <para>Every generator builds a noise-free point and then adds Gaussian noise N(0, σ²) with σ =
/// <c>noise</c> to each input coordinate (regression: to the target), so that noise 0 gives the
/// exact points below. For classification, sample i belongs to class i mod k: the classes are
/// balanced and interleaved, and "the j-th point of class c" means sample j·k + c.</para>
/// <para>The same generator state gives the same data on every machine; a generator passed to
/// two calls in a row gives two independent draws (this is how a test set is made).</para>
/// </remarks>
public static partial class Synthetic
{
    /// <summary>
    /// XOR of signs: a point u uniform on the square [−1, 1]² (no coordinate exactly 0); class 1
    /// when x₁·x₂ &lt; 0 (the signs differ), class 0 when they agree. Shapes [N, 2] and [N].
    /// </summary>
    public static Dataset Xor(int count, float noise, Generator rng)
    {
        Check(count, noise, nameof(Xor));
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2;
            float sign = rng.NextFloat() < 0.5f ? -1f : 1f;
            float a = sign * (1f - rng.NextFloat()), b = sign * (1f - rng.NextFloat());
            x[2 * i] = a;
            x[2 * i + 1] = c == 1 ? -b : b;
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>
    /// Two concentric circles (sklearn.datasets.make_circles): class 0 on the unit circle, class 1 on
    /// the circle of radius <paramref name="factor"/>; the j-th of m points of a class lies at angle
    /// 2πj/m. Shapes [N, 2] and [N].
    /// </summary>
    public static Dataset Circles(int count, float noise, Generator rng, float factor = 0.5f)
    {
        Check(count, noise, nameof(Circles));
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), $"Circles: factor (the inner radius) must be in (0, 1); got {factor}.");
        }
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2, j = i / 2, m = ClassSize(count, 2, c);
            double angle = 2 * Math.PI * j / m;
            float radius = c == 0 ? 1f : factor;
            x[2 * i] = radius * (float)Math.Cos(angle);
            x[2 * i + 1] = radius * (float)Math.Sin(angle);
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>
    /// Two interleaving half circles (sklearn.datasets.make_moons): class 0 at (cos t, sin t), class 1
    /// at (1 − cos t, 0.5 − sin t), the j-th of m points of a class at t = πj/(m − 1). Shapes [N, 2] and [N].
    /// </summary>
    public static Dataset Moons(int count, float noise, Generator rng)
    {
        Check(count, noise, nameof(Moons));
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2, j = i / 2, m = ClassSize(count, 2, c);
            double t = m == 1 ? 0 : Math.PI * j / (m - 1);
            float cos = (float)Math.Cos(t), sin = (float)Math.Sin(t);
            x[2 * i] = c == 0 ? cos : 1f - cos;
            x[2 * i + 1] = c == 0 ? sin : 0.5f - sin;
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>
    /// Two Gaussian clouds (TensorFlow Playground's "gaussian"): class 0 around (−1, −1), class 1
    /// around (1, 1); the noise σ is the spread of each cloud. Shapes [N, 2] and [N].
    /// </summary>
    public static Dataset Gaussians(int count, float noise, Generator rng)
    {
        Check(count, noise, nameof(Gaussians));
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2;
            x[2 * i] = x[2 * i + 1] = c == 0 ? -1f : 1f;
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>
    /// Interleaved spiral arms (TensorFlow Playground's "spiral", generalized to k arms): the j-th of
    /// m points of class c has radius r = j/m and angle θ = 3.5π·r + 2πc/k, at (r·sin θ, r·cos θ).
    /// Shapes [N, 2] and [N].
    /// </summary>
    public static Dataset Spirals(int count, float noise, Generator rng, int classes = 2)
    {
        Check(count, noise, nameof(Spirals));
        CheckClasses(classes, nameof(Spirals));
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes, j = i / classes, m = ClassSize(count, classes, c);
            double r = (double)j / m;
            double theta = 1.75 * 2 * Math.PI * r + 2 * Math.PI * c / classes;
            x[2 * i] = (float)(r * Math.Sin(theta));
            x[2 * i + 1] = (float)(r * Math.Cos(theta));
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>
    /// Isotropic Gaussian blobs (sklearn.datasets.make_blobs): k centers drawn by
    /// <see cref="BlobCenters"/>, then sample i at center i mod k; the noise σ is the spread of each
    /// blob. Shapes [N, features] and [N].
    /// </summary>
    public static Dataset Blobs(int count, float noise, Generator rng, int classes = 3, int features = 2) =>
        Blobs(count, noise, rng, BlobCenters(classes, features, rng));

    /// <summary>Gaussian blobs around given centers [k, features] (e.g. to draw a test set from the training set's blobs).</summary>
    public static Dataset Blobs(int count, float noise, Generator rng, Tensor centers)
    {
        Check(count, noise, nameof(Blobs));
        if (centers.Rank != 2)
        {
            throw new ArgumentException($"Blobs: centers must be [classes, features]; got {Shapes.Format(centers.Shape)}.");
        }
        int classes = centers.Shape[0], features = centers.Shape[1];
        CheckClasses(classes, nameof(Blobs));
        var x = new float[count * features];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes;
            centers.Data.Slice(c * features, features).CopyTo(x.AsSpan(i * features, features));
            y[i] = c;
        }
        AddNoise(x, noise, rng);
        return new Dataset(new Tensor(x, [count, features]), new Tensor(y, [count]), TaskKind.Classification);
    }

    /// <summary>k blob centers uniform on [−1, 1]^features (k·features draws of <paramref name="rng"/>), [k, features].</summary>
    public static Tensor BlobCenters(int classes, int features, Generator rng)
    {
        CheckClasses(classes, nameof(Blobs));
        if (features < 1 || features > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(features), $"Blobs: features must be in 1 … 1024; got {features}.");
        }
        return Tensor.Uniform([classes, features], -1f, 1f, rng);
    }

    /// <summary>y = sin(πx) for x uniform on [−1, 1) (one full period). Shapes [N, 1] and [N, 1].</summary>
    public static Dataset Sin(int count, float noise, Generator rng) =>
        Function(count, noise, rng, x => MathF.Sin(MathF.PI * x), nameof(Sin));

    /// <summary>y = |x| for x uniform on [−1, 1). Shapes [N, 1] and [N, 1].</summary>
    public static Dataset Abs(int count, float noise, Generator rng) =>
        Function(count, noise, rng, MathF.Abs, nameof(Abs));

    /// <summary>y = 1 for x ≥ 0, else 0, for x uniform on [−1, 1). Shapes [N, 1] and [N, 1].</summary>
    public static Dataset Step(int count, float noise, Generator rng) =>
        Function(count, noise, rng, x => x >= 0 ? 1f : 0f, nameof(Step));

    /// <summary>
    /// A plane (TensorFlow Playground's "plane"): y = (x₁ + x₂)/2 for x uniform on [−1, 1)².
    /// Shapes [N, 2] and [N, 1].
    /// </summary>
    public static Dataset Plane(int count, float noise, Generator rng) =>
        Surface(count, noise, rng, (a, b) => (a + b) / 2, nameof(Plane));

    /// <summary>
    /// TensorFlow Playground's "multi gaussian" regression, scaled from [−6, 6]² to [−1, 1]²: six
    /// bumps at (±2/3, ±5/12) and (0, ±5/12) with alternating signs sᵢ; y is the sᵢ·max(0, 1 − 3·dᵢ)
    /// (dᵢ the distance to bump i) of largest magnitude. Shapes [N, 2] and [N, 1].
    /// </summary>
    public static Dataset MultiGaussian(int count, float noise, Generator rng) =>
        Surface(count, noise, rng, MultiGaussianAt, nameof(MultiGaussian));

    private static readonly (float X, float Y, float Sign)[] Bumps =
    [
        (-4f / 6, 2.5f / 6, 1), (0, 2.5f / 6, -1), (4f / 6, 2.5f / 6, 1),
        (-4f / 6, -2.5f / 6, -1), (0, -2.5f / 6, 1), (4f / 6, -2.5f / 6, -1),
    ];

    internal static float MultiGaussianAt(float a, float b)
    {
        float label = 0;
        foreach (var (cx, cy, sign) in Bumps)
        {
            float d = MathF.Sqrt((a - cx) * (a - cx) + (b - cy) * (b - cy));
            float value = sign * Math.Clamp(1 - 3 * d, 0f, 1f);
            if (MathF.Abs(value) > MathF.Abs(label))
            {
                label = value;
            }
        }
        return label;
    }

    private static Dataset Function(int count, float noise, Generator rng, Func<float, float> f, string name)
    {
        Check(count, noise, name);
        var x = new float[count];
        var y = new float[count];
        rng.FillUniform(x, -1f, 1f);
        for (int i = 0; i < count; i++)
        {
            y[i] = f(x[i]);
        }
        AddNoise(y, noise, rng);
        return new Dataset(new Tensor(x, [count, 1]), new Tensor(y, [count, 1]), TaskKind.Regression);
    }

    private static Dataset Surface(int count, float noise, Generator rng, Func<float, float, float> f, string name)
    {
        Check(count, noise, name);
        var x = new float[count * 2];
        var y = new float[count];
        rng.FillUniform(x, -1f, 1f);
        for (int i = 0; i < count; i++)
        {
            y[i] = f(x[2 * i], x[2 * i + 1]);
        }
        AddNoise(y, noise, rng);
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count, 1]), TaskKind.Regression);
    }

    /// <summary>The number of samples i in 0 … count − 1 with i mod k = c.</summary>
    private static int ClassSize(int count, int classes, int c) => (count - c + classes - 1) / classes;

    private static void AddNoise(Span<float> values, float noise, Generator rng)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += (float)(noise * rng.NextNormal());
        }
    }

    private static void Check(int count, float noise, string name)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{name}: the sample count must be at least 1; got {count}.");
        }
        if (!(noise >= 0) || !float.IsFinite(noise))
        {
            throw new ArgumentOutOfRangeException(nameof(noise), $"{name}: noise must be finite and >= 0; got {noise}.");
        }
    }

    private static void CheckClasses(int classes, string name)
    {
        if (classes < 2 || classes > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), $"{name}: classes must be in 2 … 1000; got {classes}.");
        }
    }
}
