using Neurite.Tensors;

namespace Neurite.Playground;

/// <summary>One labelled point of a two-dimensional data set.</summary>
/// <param name="X1">First coordinate, in about [−6, 6].</param>
/// <param name="X2">Second coordinate, in about [−6, 6].</param>
/// <param name="Label">+1 or −1 for binary classification, a value in [−1, 1] for regression, the class index for multi-class data.</param>
public readonly record struct DataPoint(float X1, float X2, float Label);

/// <summary>
/// The Playground's seeded data generators: TensorFlow Playground's six (circle, XOR, two gaussians,
/// spiral; plane and multi-gaussian for regression) with the same geometry, plus multi-class blobs
/// and multi-arm spirals.
/// </summary>
public static class Datasets
{
    /// <summary>Points TensorFlow Playground draws for a classification data set.</summary>
    public const int ClassificationSamples = 500;

    /// <summary>Points TensorFlow Playground draws for a regression data set.</summary>
    public const int RegressionSamples = 1200;

    /// <summary>
    /// Generates <paramref name="dataset"/> with <paramref name="noise"/> in [0, 0.5] and, for
    /// multi-class sets, <paramref name="classes"/> classes; the same seed gives the same points.
    /// </summary>
    public static DataPoint[] Generate(string dataset, float noise, int classes, Generator rng) => dataset switch
    {
        "circle" => Circle(ClassificationSamples, noise, rng),
        "xor" => Xor(ClassificationSamples, noise, rng),
        "gauss" => TwoGaussians(ClassificationSamples, noise, rng),
        "spiral" => Spiral(ClassificationSamples, noise, rng),
        "plane" => Plane(RegressionSamples, noise, rng),
        "multigauss" => MultiGaussian(RegressionSamples, noise, rng),
        "blobs" => Blobs(ClassificationSamples, classes, noise, rng),
        "spirals" => Spirals(ClassificationSamples, classes, noise, rng),
        _ => throw new ArgumentException($"unknown data set '{dataset}'", nameof(dataset)),
    };

    private static float Uniform(Generator rng, float low, float high) => low + ((high - low) * rng.NextFloat());

    /// <summary>Label +1 inside radius 2.5, −1 in the ring from 3.5 to 5, decided on the noisy point.</summary>
    private static DataPoint[] Circle(int n, float noise, Generator rng)
    {
        const float Radius = 5f;
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            bool inside = i < n / 2;
            float r = inside ? Uniform(rng, 0, Radius * 0.5f) : Uniform(rng, Radius * 0.7f, Radius);
            float angle = Uniform(rng, 0, 2 * MathF.PI);
            float x = r * MathF.Sin(angle), y = r * MathF.Cos(angle);
            float nx = Uniform(rng, -Radius, Radius) * noise, ny = Uniform(rng, -Radius, Radius) * noise;
            float label = MathF.Sqrt(((x + nx) * (x + nx)) + ((y + ny) * (y + ny))) < Radius * 0.5f ? 1 : -1;
            points[i] = new(x, y, label);
        }
        return points;
    }

    /// <summary>Label +1 where x₁·x₂ ≥ 0 (first and third quadrants), −1 elsewhere.</summary>
    private static DataPoint[] Xor(int n, float noise, Generator rng)
    {
        const float Padding = 0.3f;
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            float x = Uniform(rng, -5, 5), y = Uniform(rng, -5, 5);
            x += x > 0 ? Padding : -Padding;
            y += y > 0 ? Padding : -Padding;
            float nx = Uniform(rng, -5, 5) * noise, ny = Uniform(rng, -5, 5) * noise;
            points[i] = new(x + nx, y + ny, x * y >= 0 ? 1 : -1);
        }
        return points;
    }

    /// <summary>Two normal clouds at (2, 2) (+1) and (−2, −2) (−1); noise widens them (σ from 0.5 to 4).</summary>
    private static DataPoint[] TwoGaussians(int n, float noise, Generator rng)
    {
        float sigma = 0.5f + (noise / 0.5f * 3.5f);
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            float label = i < n / 2 ? 1 : -1;
            float c = 2 * label;
            points[i] = new(c + (sigma * (float)rng.NextNormal()), c + (sigma * (float)rng.NextNormal()), label);
        }
        return points;
    }

    /// <summary>Two interleaved arms, r = 5i/n at angle 3.5πi/n (+π for the second arm).</summary>
    private static DataPoint[] Spiral(int n, float noise, Generator rng)
    {
        var points = new DataPoint[n];
        int half = n / 2;
        for (int i = 0; i < n; i++)
        {
            int k = i % half;
            bool second = i >= half;
            float r = k / (float)half * 5;
            float t = (1.75f * k / half * 2 * MathF.PI) + (second ? MathF.PI : 0);
            points[i] = new(
                (r * MathF.Sin(t)) + (Uniform(rng, -1, 1) * noise),
                (r * MathF.Cos(t)) + (Uniform(rng, -1, 1) * noise),
                second ? -1 : 1);
        }
        return points;
    }

    /// <summary>Regression target (x₁ + x₂)/10 of the noisy point, clamped to [−1, 1].</summary>
    private static DataPoint[] Plane(int n, float noise, Generator rng)
    {
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            float x = Uniform(rng, -6, 6), y = Uniform(rng, -6, 6);
            float nx = Uniform(rng, -6, 6) * noise, ny = Uniform(rng, -6, 6) * noise;
            points[i] = new(x, y, Math.Clamp((x + nx + y + ny) / 10f, -1, 1));
        }
        return points;
    }

    private static readonly (float X, float Y, float Sign)[] RegressionBumps =
    [
        (-4, 2.5f, 1), (0, 2.5f, -1), (4, 2.5f, 1), (-4, -2.5f, -1), (0, -2.5f, 1), (4, -2.5f, -1),
    ];

    /// <summary>Six signed bumps on a grid; the target is the strongest bump at the noisy point, 1 − d/2 clamped to [0, 1].</summary>
    private static DataPoint[] MultiGaussian(int n, float noise, Generator rng)
    {
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            float x = Uniform(rng, -6, 6), y = Uniform(rng, -6, 6);
            float px = x + (Uniform(rng, -6, 6) * noise), py = y + (Uniform(rng, -6, 6) * noise);
            float label = 0;
            foreach (var (cx, cy, sign) in RegressionBumps)
            {
                float d = MathF.Sqrt(((px - cx) * (px - cx)) + ((py - cy) * (py - cy)));
                float value = sign * Math.Clamp(1 - (d / 2), 0, 1);
                if (MathF.Abs(value) > MathF.Abs(label))
                {
                    label = value;
                }
            }
            points[i] = new(x, y, label);
        }
        return points;
    }

    /// <summary>k normal clouds (σ from 0.5 to 3) with centres evenly spaced on a circle of radius 3.5; label = class index.</summary>
    private static DataPoint[] Blobs(int n, int classes, float noise, Generator rng)
    {
        float sigma = 0.5f + (noise / 0.5f * 2.5f);
        var points = new DataPoint[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            float angle = 2 * MathF.PI * c / classes;
            points[i] = new(
                (3.5f * MathF.Cos(angle)) + (sigma * (float)rng.NextNormal()),
                (3.5f * MathF.Sin(angle)) + (sigma * (float)rng.NextNormal()),
                c);
        }
        return points;
    }

    /// <summary>k spiral arms, each turned by 2π/k; label = arm index.</summary>
    private static DataPoint[] Spirals(int n, int classes, float noise, Generator rng)
    {
        var points = new DataPoint[n];
        int perArm = n / classes;
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            int k = i / classes;
            float r = k / (float)perArm * 5;
            float t = (1.25f * k / perArm * 2 * MathF.PI) + (2 * MathF.PI * c / classes);
            points[i] = new(
                (r * MathF.Sin(t)) + (Uniform(rng, -1, 1) * noise),
                (r * MathF.Cos(t)) + (Uniform(rng, -1, 1) * noise),
                c);
        }
        return points;
    }
}
