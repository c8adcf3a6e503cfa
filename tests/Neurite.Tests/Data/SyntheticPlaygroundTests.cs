using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>The synthetic generators in TensorFlow Playground's geometry: its extent, its noise, and the class meanings they share with the unit geometry.</summary>
public class SyntheticPlaygroundTests
{
    private const SyntheticGeometry Playground = SyntheticGeometry.Playground;

    private static (float X, float Y, float Target)[] Points(Dataset data)
    {
        var x = data.Features.ToArray();
        var y = data.Targets.ToArray();
        return [.. Enumerable.Range(0, data.Count).Select(i => (x[2 * i], x[(2 * i) + 1], y[i]))];
    }

    private static float Radius(float x, float y) => MathF.Sqrt((x * x) + (y * y));

    [Fact]
    public void Without_noise_each_set_has_TensorFlow_Playgrounds_shape_and_the_unit_sets_class_meaning()
    {
        var xor = Synthetic.Xor(500, 0, new Generator(1), Playground);
        Assert.All(Points(xor), p =>
        {
            Assert.InRange(MathF.Abs(p.X), 0.3f, 5.3f); // uniform on [−5, 5], pushed 0.3 off the axes
            Assert.InRange(MathF.Abs(p.Y), 0.3f, 5.3f);
            Assert.Equal(p.X * p.Y < 0 ? 1 : 0, p.Target); // class 1: the signs differ, as Synthetic.Xor
        });

        var circles = Synthetic.Circles(500, 0, new Generator(1), geometry: Playground);
        Assert.All(Points(circles).Take(250), p => { Assert.Equal(1, p.Target); Assert.InRange(Radius(p.X, p.Y), 0, 2.5f); });
        Assert.All(Points(circles).Skip(250), p => { Assert.Equal(0, p.Target); Assert.InRange(Radius(p.X, p.Y), 3.5f, 5f); });

        var gaussians = Synthetic.Gaussians(500, 0, new Generator(1), Playground);
        Assert.All(Points(gaussians).Take(250), p => Assert.Equal(1, p.Target));
        Assert.Equal(2, Points(gaussians).Take(250).Average(p => p.X), 0.1);     // class 1 around (2, 2), σ 0.5
        Assert.Equal(-2, Points(gaussians).Skip(250).Average(p => p.Y), 0.1);   // class 0 around (−2, −2)

        // Two arms of 1.75 turns: point j of an arm at r = 5j/250, the second arm (class 1) turned by π.
        var spirals = Synthetic.Spirals(500, 0, new Generator(1), geometry: Playground);
        var arms = Points(spirals);
        for (int j = 0; j < 250; j++)
        {
            Assert.Equal((0f, 1f), (arms[j].Target, arms[250 + j].Target));
            Assert.Equal(5f * j / 250, Radius(arms[j].X, arms[j].Y), tolerance: 1e-4f);
            Assert.Equal(-arms[j].X, arms[250 + j].X, tolerance: 1e-4f);
            Assert.Equal(-arms[j].Y, arms[250 + j].Y, tolerance: 1e-4f);
        }

        var blobs = Synthetic.Blobs(400, 0, new Generator(1), classes: 4, geometry: Playground);
        for (int c = 0; c < 4; c++)
        {
            var cloud = Points(blobs).Where((_, i) => i % 4 == c).ToArray();
            Assert.All(cloud, p => Assert.Equal(c, p.Target));
            Assert.Equal(3.5 * Math.Cos(Math.PI * c / 2), cloud.Average(p => p.X), 0.25); // centres on a circle of radius 3.5
            Assert.Equal(3.5 * Math.Sin(Math.PI * c / 2), cloud.Average(p => p.Y), 0.25);
        }

        var plane = Synthetic.Plane(1200, 0, new Generator(1), Playground);
        Assert.All(Points(plane), p =>
        {
            Assert.InRange(p.X, -6f, 6f);
            Assert.InRange(p.Y, -6f, 6f);
            Assert.Equal(Math.Clamp((p.X + p.Y) / 10, -1, 1), p.Target, 5);
        });

        // Six bumps at (±4, ±2.5) and (0, ±2.5), each 1 − d/2 at distance d: the unit set's at 6× the scale.
        var bumps = Synthetic.MultiGaussian(1200, 0, new Generator(1), Playground);
        var near = Points(bumps).Where(p => Radius(p.X + 4, p.Y - 2.5f) < 0.5f).ToArray();
        Assert.NotEmpty(near);
        Assert.All(near, p => Assert.Equal(1 - (Radius(p.X + 4, p.Y - 2.5f) / 2), p.Target, tolerance: 1e-4f));
        Assert.All(Points(bumps), p => Assert.InRange(p.Target, -1f, 1f));
    }

    [Fact]
    public void The_noise_is_uniform_over_the_extent_and_scaled_by_the_noise_ratio()
    {
        // The plane stores its points without noise and reads the target at the noisy point, each
        // coordinate moved by noise·U(−6, 6): the target moves by at most 2·6·noise/10.
        var clean = Synthetic.Plane(1200, 0, new Generator(4), Playground);
        var noisy = Synthetic.Plane(1200, 0.25f, new Generator(4), Playground);
        Assert.Equal(clean.Features.ToArray(), noisy.Features.ToArray());
        var shifts = clean.Targets.ToArray().Zip(noisy.Targets.ToArray(), (a, b) => MathF.Abs(a - b)).ToArray();
        Assert.All(shifts, d => Assert.InRange(d, 0f, (2 * 6 * 0.25f / 10) + 1e-5f));
        Assert.True(shifts.Max() > 0.2f, $"largest shift {shifts.Max()}");
    }

    [Fact]
    public void A_source_name_with_geometry_and_Synthesize_give_the_generators_data()
    {
        var expected = Synthetic.Spirals(300, 0.1f, new Generator(5), 3, Playground);
        var loaded = DataSources.Load("spirals:n=300,noise=0.1,classes=3,seed=5,geometry=playground").Train;
        var synthesized = DataSources.Synthesize("spirals", 300, new Generator(5), 0.1f, 3, Playground);
        Assert.Equal(expected.Features.ToArray(), loaded.Features.ToArray());
        Assert.Equal(expected.Targets.ToArray(), loaded.Targets.ToArray());
        Assert.Equal(expected.Features.ToArray(), synthesized.Features.ToArray());
        Assert.Equal(expected.Targets.ToArray(), synthesized.Targets.ToArray());
        // Without geometry, the unit geometry and the generator's default noise, as Load("moons").
        Assert.Equal(DataSources.Load("moons").Train.Features.ToArray(), DataSources.Synthesize("moons", 1000, new Generator(0)).Features.ToArray());
        Assert.Equal("unknown synthetic data set \"swirls\": expected one of xor, circles, gaussians, spirals, moons, blobs, sin, abs, step, plane, multi-gaussian, sine-series, addition. (Parameter 'name')",
            Assert.Throws<ArgumentException>(() => DataSources.Synthesize("swirls", 10, new Generator(0))).Message);
        Assert.StartsWith("synthetic data set \"xor\": Xor: the sample count must be at least 1; got 0.",
            Assert.Throws<ArgumentException>(() => DataSources.Synthesize("xor", 0, new Generator(0))).Message);
        Assert.StartsWith("Blobs: the Playground geometry is two-dimensional; got 3 features.",
            Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic.Blobs(10, 0, new Generator(0), features: 3, geometry: Playground)).Message);
    }
}
