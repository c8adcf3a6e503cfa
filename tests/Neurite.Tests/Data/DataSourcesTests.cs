using System.Buffers.Binary;
using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>Source names: synthetic parameters, test sets, CSV and IDX paths, and the errors for bad names.</summary>
public sealed class DataSourcesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-sources-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_synthetic_name_loads_with_its_defaults()
    {
        Assert.Equal(13, DataSources.SyntheticNames.Count);
        foreach (var name in DataSources.SyntheticNames)
        {
            var data = DataSources.Load(name);
            Assert.Equal(1000, data.Train.Count);
            Assert.Null(data.Test);
        }
        // The documented defaults: 1000 samples, seed 0, spirals with 2 arms and noise 0.02.
        Assert.Equal(Synthetic.Spirals(1000, 0.02f, new Generator(0)).Features.ToArray(), DataSources.Load("spirals").Train.Features.ToArray());
        Assert.Equal(Synthetic.Moons(1000, 0.1f, new Generator(0)).Features.ToArray(), DataSources.Load("moons").Train.Features.ToArray());
    }

    [Fact]
    public void Parameters_in_the_name_are_the_generator_arguments()
    {
        var data = DataSources.Load("spirals:n=300,noise=0.2,classes=3,seed=5").Train;
        var direct = Synthetic.Spirals(300, 0.2f, new Generator(5), classes: 3);
        Assert.Equal(direct.Features.ToArray(), data.Features.ToArray());
        Assert.Equal(3, data.ClassCount);

        // Options give the same values when the name has none; the name wins over options.
        var fromOptions = DataSources.Load("spirals:classes=3", new DataSourceOptions { Count = 300, Noise = 0.2f, Seed = 5 }).Train;
        Assert.Equal(direct.Features.ToArray(), fromOptions.Features.ToArray());
        var overridden = DataSources.Load("moons:n=10", new DataSourceOptions { Count = 300 }).Train;
        Assert.Equal(10, overridden.Count);

        var blobs = DataSources.Load("blobs:features=5,classes=4,n=40").Train;
        Assert.Equal([40, 5], blobs.Features.Shape.ToArray());
        Assert.Equal(4, blobs.ClassCount);
        var circles = DataSources.Load("circles:factor=0.25,noise=0").Train;
        Assert.Equal(0.25, Math.Sqrt(circles.Features[1, 0] * circles.Features[1, 0] + circles.Features[1, 1] * circles.Features[1, 1]), 5);
    }

    [Fact]
    public void A_test_set_is_drawn_after_the_training_set_and_leaves_it_unchanged()
    {
        var alone = DataSources.Load("blobs:n=100,seed=3").Train;
        var both = DataSources.Load("blobs:n=100,seed=3,test=50");
        Assert.Equal(alone.Features.ToArray(), both.Train.Features.ToArray());
        Assert.Equal(50, both.Test!.Count);
        Assert.NotEqual(both.Train.Features.ToArray()[..100], both.Test.Features.ToArray()[..100]);
        // The test blobs share the training blobs' centers: per-class means agree to a few standard
        // errors (σ 0.1 over ≥ 16 samples: 0.025), where centers drawn anew from [−1, 1] differ by ~0.7.
        for (int c = 0; c < 3; c++)
        {
            double Mean(Dataset d) => Enumerable.Range(0, d.Count).Where(i => d.Targets[i] == c).Average(i => d.Features[i, 0]);
            Assert.Equal(Mean(both.Train), Mean(both.Test), tolerance: 0.1);
        }
        Assert.Equal(20, DataSources.Load("xor", new DataSourceOptions { TestCount = 20 }).Test!.Count);
    }

    public static TheoryData<string, string> BadSources => new()
    {
        { "swirls", "unknown data source \"swirls\": expected a synthetic name (xor, circles, gaussians, spirals, moons, blobs, sin, abs, step, plane, multi-gaussian, sine-series, addition), fashion-mnist, a CSV file path, idx:IMAGES,LABELS, or text:PATH,seq=N." },
        { "spirals:size=3", "data source \"spirals:size=3\": unknown parameter \"size\"; spirals takes n, noise, seed, test, classes, geometry." },
        { "xor:classes=3", "data source \"xor:classes=3\": unknown parameter \"classes\"; xor takes n, noise, seed, test, geometry." },
        { "moons:n=0", "data source \"moons:n=0\": n must be an integer >= 1; got \"0\"." },
        { "moons:n=ten", "data source \"moons:n=ten\": n must be an integer >= 1; got \"ten\"." },
        { "moons:noise=-1", "data source \"moons:noise=-1\": noise must be a finite number >= 0; got \"-1\"." },
        { "moons:seed=-1", "data source \"moons:seed=-1\": seed must be a non-negative integer; got \"-1\"." },
        { "moons:n", "data source \"moons:n\": \"n\" is not key=value." },
        { "moons:n=5,n=6", "data source \"moons:n=5,n=6\": parameter \"n\" is given twice." },
        { "spirals:classes=1", "data source \"spirals:classes=1\": classes must be an integer >= 2; got \"1\"." },
        { "circles:factor=2", "data source \"circles:factor=2\": Circles: factor (the inner radius) must be in (0, 1); got 2." },
        { "circles:geometry=huge", "data source \"circles:geometry=huge\": geometry must be unit or playground; got \"huge\"." },
        { "moons:geometry=playground", "data source \"moons:geometry=playground\": unknown parameter \"geometry\"; moons takes n, noise, seed, test." },
        { "idx:only-one", "data source \"idx:only-one\": expected idx:IMAGES,LABELS (two file paths separated by a comma)." },
        { "", "data source: empty; expected a synthetic name" },
    };

    [Theory]
    [MemberData(nameof(BadSources))]
    public void Bad_source_names_and_parameters_say_what_is_wrong(string source, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => DataSources.Load(source));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Option_values_are_checked_as_written_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => DataSources.Load("xor", new DataSourceOptions { TestCount = -5 }));
        Assert.Equal("data source \"xor\": test must be an integer >= 0; got \"-5\".", e.Message);
        e = Assert.Throws<ArgumentException>(() => DataSources.Load("xor", new DataSourceOptions { Noise = float.NaN }));
        Assert.Equal("data source \"xor\": noise must be a finite number >= 0; got \"NaN\".", e.Message);
    }

    [Fact]
    public void A_csv_path_and_an_idx_pair_load_as_training_data()
    {
        string csv = Path.Combine(_directory, "points.csv");
        File.WriteAllText(csv, "a,b,kind\n1,2,x\n3,4,y\n");
        var data = DataSources.Load(csv, new DataSourceOptions { Target = "kind" });
        Assert.Equal(["x", "y"], data.Train.ClassNames);
        Assert.Null(data.Test);

        var mapped = DataSources.Load(csv, new DataSourceOptions { Target = "kind", ClassNames = ["y", "x"] });
        Assert.Equal([1f, 0f], mapped.Train.Targets.ToArray());

        string missing = Path.Combine(_directory, "missing.csv");
        Assert.Equal($"{missing}: no such file.", Assert.Throws<FileNotFoundException>(() => DataSources.Load(missing)).Message);

        string images = Path.Combine(_directory, "img"), labels = Path.Combine(_directory, "lab");
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 2);
        File.WriteAllBytes(images, [.. header, 1, 2, 3, 4]);
        File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0, 0, 2, 1, 0]);
        var idx = DataSources.Load($"idx:{images},{labels}");
        Assert.Equal([2, 1, 1, 2], idx.Train.Features.Shape.ToArray());
        Assert.Equal([1f, 0f], idx.Train.Targets.ToArray());
    }
}
