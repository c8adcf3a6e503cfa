using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>Where a synthetic generator puts its points, and what its noise means.</summary>
public enum SyntheticGeometry
{
    /// <summary>Inputs roughly in [−1, 1]; <c>noise</c> is the σ of Gaussian noise (see <see cref="Synthetic"/>).</summary>
    Unit,

    /// <summary>
    /// TensorFlow Playground's own geometry (dataset.ts): inputs in about [−6, 6]; <c>noise</c> is its
    /// noise ratio in [0, 0.5], scaling uniform noise over the extent; 500 points make its usual set
    /// of a classification, 1,200 of a regression. Each class keeps its meaning under
    /// <see cref="Unit"/> (XOR's class 1 has signs that differ, the circles' class 1 is the inner
    /// disc, a spiral's class is its arm), and samples come in TensorFlow Playground's order: the
    /// first half of a two-class set is one class, the second half the other.
    /// </summary>
    Playground,
}

public static partial class Synthetic
{
    /// <summary>TensorFlow Playground's circle: class 1 inside radius 2.5, class 0 in the ring from 3.5 to 5, decided on the noisy point (the point itself is stored without noise).</summary>
    private static Dataset PlaygroundCircles(int count, float noise, Generator rng)
    {
        const float Radius = 5f;
        return PlaygroundClasses(count, 2, rng, (i, r) =>
        {
            bool inside = i < count / 2;
            float radius = inside ? Uniform(r, 0, Radius * 0.5f) : Uniform(r, Radius * 0.7f, Radius);
            float angle = Uniform(r, 0, 2 * MathF.PI);
            float x = radius * MathF.Sin(angle), y = radius * MathF.Cos(angle);
            float nx = Uniform(r, -Radius, Radius) * noise, ny = Uniform(r, -Radius, Radius) * noise;
            bool noisyInside = MathF.Sqrt((x + nx) * (x + nx) + (y + ny) * (y + ny)) < Radius * 0.5f;
            return (x, y, noisyInside ? 1 : 0);
        });
    }

    /// <summary>TensorFlow Playground's XOR: (x, y) uniform on [−5, 5]², pushed 0.3 away from the axes; class 1 where the signs differ (decided before the noise).</summary>
    private static Dataset PlaygroundXor(int count, float noise, Generator rng)
    {
        const float Padding = 0.3f;
        return PlaygroundClasses(count, 2, rng, (_, r) =>
        {
            float x = Uniform(r, -5, 5), y = Uniform(r, -5, 5);
            x += x > 0 ? Padding : -Padding;
            y += y > 0 ? Padding : -Padding;
            float nx = Uniform(r, -5, 5) * noise, ny = Uniform(r, -5, 5) * noise;
            return (x + nx, y + ny, x * y >= 0 ? 0 : 1);
        });
    }

    /// <summary>TensorFlow Playground's two Gaussians: class 1 around (2, 2), class 0 around (−2, −2); the noise widens them (σ from 0.5 to 4).</summary>
    private static Dataset PlaygroundGaussians(int count, float noise, Generator rng)
    {
        float sigma = 0.5f + noise / 0.5f * 3.5f;
        return PlaygroundClasses(count, 2, rng, (i, r) =>
        {
            int c = i < count / 2 ? 1 : 0;
            float centre = c == 1 ? 2 : -2;
            return (centre + sigma * (float)r.NextNormal(), centre + sigma * (float)r.NextNormal(), c);
        });
    }

    /// <summary>
    /// TensorFlow Playground's spiral: two arms of 1.75 turns, r = 5i/n at angle 3.5πi/n (+π for the
    /// second arm, class 1); with k &gt; 2 arms (the Neurite Playground's multi-class set), arm c is turned
    /// by 2πc/k and makes 1.25 turns, so the arms stay apart. Uniform noise of ±noise.
    /// </summary>
    private static Dataset PlaygroundSpirals(int count, float noise, Generator rng, int classes)
    {
        if (classes == 2)
        {
            int half = count / 2;
            return PlaygroundClasses(count, 2, rng, (i, r) =>
            {
                int k = half == 0 ? 0 : i % half;
                int c = i >= half ? 1 : 0;
                float radius = half == 0 ? 0 : k / (float)half * 5;
                float t = (half == 0 ? 0 : 1.75f * k / half * 2 * MathF.PI) + (c == 1 ? MathF.PI : 0);
                return (radius * MathF.Sin(t) + Uniform(r, -1, 1) * noise, radius * MathF.Cos(t) + Uniform(r, -1, 1) * noise, c);
            });
        }
        int perArm = Math.Max(1, count / classes);
        return PlaygroundClasses(count, classes, rng, (i, r) =>
        {
            int c = i % classes, k = i / classes;
            float radius = k / (float)perArm * 5;
            float t = 1.25f * k / perArm * 2 * MathF.PI + 2 * MathF.PI * c / classes;
            return (radius * MathF.Sin(t) + Uniform(r, -1, 1) * noise, radius * MathF.Cos(t) + Uniform(r, -1, 1) * noise, c);
        });
    }

    /// <summary>The Neurite Playground's blobs: k normal clouds (σ from 0.5 to 3) centred evenly on a circle of radius 3.5; sample i is in class i mod k.</summary>
    private static Dataset PlaygroundBlobs(int count, float noise, Generator rng, int classes)
    {
        float sigma = 0.5f + noise / 0.5f * 2.5f;
        return PlaygroundClasses(count, classes, rng, (i, r) =>
        {
            int c = i % classes;
            float angle = 2 * MathF.PI * c / classes;
            return (3.5f * MathF.Cos(angle) + sigma * (float)r.NextNormal(), 3.5f * MathF.Sin(angle) + sigma * (float)r.NextNormal(), c);
        });
    }

    /// <summary>TensorFlow Playground's plane: (x, y) uniform on [−6, 6]², target (x + y)/10 of the noisy point, clamped to [−1, 1].</summary>
    private static Dataset PlaygroundPlane(int count, float noise, Generator rng) =>
        PlaygroundSurface(count, rng, r =>
        {
            float x = Uniform(r, -6, 6), y = Uniform(r, -6, 6);
            float nx = Uniform(r, -6, 6) * noise, ny = Uniform(r, -6, 6) * noise;
            return (x, y, Math.Clamp((x + nx + y + ny) / 10f, -1, 1));
        });

    /// <summary>TensorFlow Playground's multi-Gaussian: the six bumps of <see cref="MultiGaussian"/> at 6× the scale, read at the noisy point.</summary>
    private static Dataset PlaygroundMultiGaussian(int count, float noise, Generator rng) =>
        PlaygroundSurface(count, rng, r =>
        {
            float x = Uniform(r, -6, 6), y = Uniform(r, -6, 6);
            float px = x + Uniform(r, -6, 6) * noise, py = y + Uniform(r, -6, 6) * noise;
            return (x, y, MultiGaussianAt(px / 6, py / 6));
        });

    private static float Uniform(Generator rng, float low, float high) => low + (high - low) * rng.NextFloat();

    private static Dataset PlaygroundClasses(int count, int classes, Generator rng, Func<int, Generator, (float X, float Y, int Class)> point)
    {
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            (x[2 * i], x[2 * i + 1], int c) = point(i, rng);
            y[i] = c;
        }
        var names = Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count]), TaskKind.Classification, names);
    }

    private static Dataset PlaygroundSurface(int count, Generator rng, Func<Generator, (float X, float Y, float Target)> point)
    {
        var x = new float[count * 2];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            (x[2 * i], x[2 * i + 1], y[i]) = point(rng);
        }
        return new Dataset(new Tensor(x, [count, 2]), new Tensor(y, [count, 1]), TaskKind.Regression);
    }
}
