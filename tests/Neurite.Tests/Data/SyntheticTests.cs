using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>The synthetic generators: shapes, balance, determinism and the geometry each one promises.</summary>
public class SyntheticTests
{
    public static TheoryData<string> ClassificationNames => ["xor", "circles", "gaussians", "spirals", "moons", "blobs"];

    public static TheoryData<string> RegressionNames => ["sin", "abs", "step", "plane", "multi-gaussian"];

    private static Dataset Make(string name, int count, float noise, ulong seed) => name switch
    {
        "xor" => Synthetic.Xor(count, noise, new Generator(seed)),
        "circles" => Synthetic.Circles(count, noise, new Generator(seed)),
        "gaussians" => Synthetic.Gaussians(count, noise, new Generator(seed)),
        "spirals" => Synthetic.Spirals(count, noise, new Generator(seed)),
        "moons" => Synthetic.Moons(count, noise, new Generator(seed)),
        "blobs" => Synthetic.Blobs(count, noise, new Generator(seed)),
        "sin" => Synthetic.Sin(count, noise, new Generator(seed)),
        "abs" => Synthetic.Abs(count, noise, new Generator(seed)),
        "step" => Synthetic.Step(count, noise, new Generator(seed)),
        "plane" => Synthetic.Plane(count, noise, new Generator(seed)),
        "multi-gaussian" => Synthetic.MultiGaussian(count, noise, new Generator(seed)),
        _ => throw new ArgumentException(name),
    };

    private static int[] Histogram(Dataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (float c in data.Targets)
        {
            counts[(int)c]++;
        }
        return counts;
    }

    [Theory]
    [MemberData(nameof(ClassificationNames))]
    public void Classification_sets_have_two_features_and_balanced_interleaved_classes(string name)
    {
        var data = Make(name, 301, 0.1f, 7);
        int k = name == "blobs" ? 3 : 2;
        Assert.Equal([301, 2], data.Features.Shape.ToArray());
        Assert.Equal([301], data.Targets.Shape.ToArray());
        Assert.Equal(TaskKind.Classification, data.Task);
        Assert.Equal(k, data.ClassCount);
        // Sample i is class i mod k: counts differ by at most one.
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(i % k, (int)data.Targets[i]);
        }
        var counts = Histogram(data);
        Assert.True(counts.Max() - counts.Min() <= 1, string.Join(",", counts));
    }

    [Theory]
    [MemberData(nameof(RegressionNames))]
    public void Regression_sets_have_one_target_column(string name)
    {
        var data = Make(name, 50, 0.1f, 7);
        int inputs = name is "plane" or "multi-gaussian" ? 2 : 1;
        Assert.Equal([50, inputs], data.Features.Shape.ToArray());
        Assert.Equal([50, 1], data.Targets.Shape.ToArray());
        Assert.Equal(TaskKind.Regression, data.Task);
        Assert.Equal(0, data.ClassCount);
        Assert.All(data.Features, v => Assert.InRange(v, -1f, 1f));
    }

    [Theory]
    [MemberData(nameof(ClassificationNames))]
    [MemberData(nameof(RegressionNames))]
    public void The_same_seed_gives_the_same_data_and_another_seed_other_data(string name)
    {
        var a = Make(name, 200, 0.1f, 3);
        var b = Make(name, 200, 0.1f, 3);
        var c = Make(name, 200, 0.1f, 4);
        Assert.Equal(a.Features.ToArray(), b.Features.ToArray());
        Assert.Equal(a.Targets.ToArray(), b.Targets.ToArray());
        Assert.NotEqual(a.Features.ToArray(), c.Features.ToArray());
    }

    [Fact]
    public void Xor_labels_are_one_where_the_signs_differ()
    {
        var data = Synthetic.Xor(500, 0f, new Generator(1));
        for (int i = 0; i < data.Count; i++)
        {
            float x1 = data.Features[i, 0], x2 = data.Features[i, 1];
            Assert.NotEqual(0f, x1 * x2);
            Assert.Equal(x1 * x2 < 0 ? 1f : 0f, data.Targets[i]);
            Assert.InRange(x1, -1f, 1f);
        }
        // The four quadrants are all used: the points fill the square, not two of its corners.
        var quadrants = Enumerable.Range(0, data.Count).Select(i => (data.Features[i, 0] > 0, data.Features[i, 1] > 0)).Distinct().Count();
        Assert.Equal(4, quadrants);
    }

    [Fact]
    public void Noise_free_circles_lie_exactly_on_the_two_radii_at_even_angles()
    {
        var data = Synthetic.Circles(100, 0f, new Generator(1), factor: 0.3f);
        for (int i = 0; i < data.Count; i++)
        {
            double r = Math.Sqrt(data.Features[i, 0] * data.Features[i, 0] + data.Features[i, 1] * data.Features[i, 1]);
            Assert.Equal(data.Targets[i] == 0 ? 1.0 : 0.3, r, 5);
        }
        // The j-th of 50 outer points is at angle 2πj/50: sample 2·5 is the outer point at 2π/10.
        Assert.Equal(Math.Cos(2 * Math.PI / 10), data.Features[10, 0], 6);
        Assert.Equal(Math.Sin(2 * Math.PI / 10), data.Features[10, 1], 6);
    }

    [Fact]
    public void Noisy_circles_keep_the_inner_circle_inside_the_outer_one_on_average()
    {
        var data = Synthetic.Circles(2000, 0.05f, new Generator(2));
        double inner = 0, outer = 0;
        for (int i = 0; i < data.Count; i++)
        {
            double r = Math.Sqrt(data.Features[i, 0] * data.Features[i, 0] + data.Features[i, 1] * data.Features[i, 1]);
            if (data.Targets[i] == 0)
            {
                outer += r;
            }
            else
            {
                inner += r;
            }
        }
        Assert.Equal(1.0, outer / 1000, 1);
        Assert.Equal(0.5, inner / 1000, 1);
    }

    [Fact]
    public void Noise_free_moons_are_two_half_circles()
    {
        var data = Synthetic.Moons(200, 0f, new Generator(1));
        for (int i = 0; i < data.Count; i++)
        {
            float x = data.Features[i, 0], y = data.Features[i, 1];
            if (data.Targets[i] == 0)
            {
                // Upper half of the unit circle around (0, 0).
                Assert.Equal(1.0, Math.Sqrt(x * x + y * y), 5);
                Assert.True(y >= -1e-6f);
            }
            else
            {
                // Lower half of the unit circle around (1, 0.5).
                Assert.Equal(1.0, Math.Sqrt((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5)), 5);
                Assert.True(y <= 0.5f + 1e-6f);
            }
        }
        // Each arc runs from t = 0 to t = π: sample 0 at (1, 0), sample 1 at (0, 0.5), sample 198 at (−1, 0).
        Assert.Equal(1f, data.Features[0, 0], 6);
        Assert.Equal(0f, data.Features[1, 0], 6);
        Assert.Equal(0.5f, data.Features[1, 1], 6);
        Assert.Equal(-1f, data.Features[198, 0], 6);
    }

    [Fact]
    public void Noise_free_spirals_follow_their_formula_and_noise_spreads_them()
    {
        var data = Synthetic.Spirals(300, 0f, new Generator(1), classes: 3);
        Assert.Equal(3, data.ClassCount);
        // Sample 3·10 + 2 is the 10th point of class 2 of 100: r = 0.1, θ = 3.5π·0.1 + 2π·2/3.
        double r = 0.1, theta = 3.5 * Math.PI * r + 4 * Math.PI / 3;
        Assert.Equal(r * Math.Sin(theta), data.Features[32, 0], 6);
        Assert.Equal(r * Math.Cos(theta), data.Features[32, 1], 6);
        var noisy = Synthetic.Spirals(300, 0.2f, new Generator(1), classes: 3);
        var differences = noisy.Features.ToArray().Zip(data.Features.ToArray(), (a, b) => (double)(a - b)).ToArray();
        double std = Math.Sqrt(differences.Select(d => d * d).Average());
        Assert.InRange(std, 0.17, 0.23);
    }

    [Fact]
    public void Gaussians_and_blobs_center_each_class_and_noise_is_their_spread()
    {
        var gaussians = Synthetic.Gaussians(4000, 0.5f, new Generator(5));
        for (int c = 0; c < 2; c++)
        {
            var xs = Enumerable.Range(0, gaussians.Count).Where(i => gaussians.Targets[i] == c).Select(i => (double)gaussians.Features[i, 0]).ToArray();
            double mean = xs.Average(), std = Math.Sqrt(xs.Select(x => (x - mean) * (x - mean)).Average());
            Assert.Equal(c == 0 ? -1 : 1, mean, 1);
            Assert.Equal(0.5, std, 1);
        }
        var centers = Tensor.From([[0.5f, -0.5f, 2f], [-1f, 0f, 1f]]);
        var blobs = Synthetic.Blobs(10, 0f, new Generator(5), centers);
        Assert.Equal([10, 3], blobs.Features.Shape.ToArray());
        Assert.Equal([0.5f, -0.5f, 2f, -1f, 0f, 1f], blobs.Features.ToArray()[..6]);
        var drawn = Synthetic.BlobCenters(4, 3, new Generator(9));
        Assert.Equal([4, 3], drawn.Shape.ToArray());
        Assert.All(drawn, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Regression_targets_are_their_functions_without_noise_and_carry_the_noise_with_it()
    {
        var sin = Synthetic.Sin(100, 0f, new Generator(1));
        var abs = Synthetic.Abs(100, 0f, new Generator(1));
        var step = Synthetic.Step(100, 0f, new Generator(1));
        var plane = Synthetic.Plane(100, 0f, new Generator(1));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(MathF.Sin(MathF.PI * sin.Features[i, 0]), sin.Targets[i, 0]);
            Assert.Equal(MathF.Abs(abs.Features[i, 0]), abs.Targets[i, 0]);
            Assert.Equal(step.Features[i, 0] >= 0 ? 1f : 0f, step.Targets[i, 0]);
            Assert.Equal((plane.Features[i, 0] + plane.Features[i, 1]) / 2, plane.Targets[i, 0]);
        }
        var noisy = Synthetic.Abs(4000, 0.1f, new Generator(1));
        var residuals = Enumerable.Range(0, 4000).Select(i => (double)(noisy.Targets[i, 0] - MathF.Abs(noisy.Features[i, 0]))).ToArray();
        Assert.Equal(0, residuals.Average(), 2);
        Assert.Equal(0.1, Math.Sqrt(residuals.Select(r => r * r).Average()), 2);
    }

    [Fact]
    public void Multi_gaussian_peaks_at_its_six_bumps_with_alternating_signs()
    {
        // At a bump's center its own term is ±1 and the others are 0: bumps are at least 2/3 apart and reach 1/3.
        Assert.Equal(1f, Synthetic.MultiGaussianAt(-4f / 6, 2.5f / 6));
        Assert.Equal(-1f, Synthetic.MultiGaussianAt(0, 2.5f / 6));
        Assert.Equal(1f, Synthetic.MultiGaussianAt(0, -2.5f / 6));
        // Halfway to the edge of a bump (distance 1/6): 1 − 3/6.
        Assert.Equal(0.5f, Synthetic.MultiGaussianAt(-4f / 6 + 1f / 6, 2.5f / 6), 5);
        // The corners are far from every bump.
        Assert.Equal(0f, Synthetic.MultiGaussianAt(-1, -1));
    }

    [Fact]
    public void Invalid_arguments_name_the_generator_and_the_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Moons(0, 0.1f, new Generator(0)));
        Assert.Contains("Moons: the sample count must be at least 1; got 0", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Xor(10, -1f, new Generator(0)));
        Assert.Contains("Xor: noise must be finite and >= 0; got -1", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Spirals(10, 0f, new Generator(0), classes: 1));
        Assert.Contains("Spirals: classes must be in 2", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Circles(10, 0f, new Generator(0), factor: 1f));
        Assert.Contains("Circles: factor", e.Message);
    }
}
