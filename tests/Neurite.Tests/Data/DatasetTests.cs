using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>Dataset validation, subsets and splits, and the preprocessors with their JSON form.</summary>
public class DatasetTests
{
    // Four samples of three features; classes 0, 1, 1, 0.
    private static Dataset Small() => new(
        Tensor.From([[1f, 10f, 5f], [2f, 20f, 5f], [3f, 30f, 5f], [6f, 60f, 5f]]),
        Tensor.From([0f, 1f, 1f, 0f]),
        TaskKind.Classification, ["no", "yes"], ["a", "b", "c"]);

    [Fact]
    public void Construction_checks_targets_against_the_task()
    {
        var x = Tensor.Zeros([3, 2]);
        var e = Assert.Throws<ArgumentException>(() => new Dataset(x, Tensor.Zeros([2]), TaskKind.Classification));
        Assert.Equal("Dataset: classification targets must have shape [3] (one class index per sample) or [3, steps] (one per step); got [2].", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(x, Tensor.From([0f, 1.5f, 0f]), TaskKind.Classification));
        Assert.Equal("Dataset: target 1 is 1.5, not a class index (an integer in 0 … 65535).", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(x, Tensor.From([0f, 2f, 0f]), TaskKind.Classification, ["a", "b"]));
        Assert.Equal("Dataset: target 1 is 2, but there are 2 class names.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(x, Tensor.Zeros([3]), TaskKind.Regression));
        Assert.Equal("Dataset: regression targets must have shape [3, outputs]; got [3].", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(x, Tensor.Zeros([3]), TaskKind.Classification, featureNames: ["a"]));
        Assert.Equal("Dataset: 1 feature names for 2 features per sample.", e.Message);

        var images = new Dataset(Tensor.Zeros([5, 1, 4, 3]), Tensor.Zeros([5]), TaskKind.Classification);
        Assert.Equal([1, 4, 3], images.SampleShape.ToArray());
        Assert.Equal(12, images.FeatureCount);
        Assert.Equal(["0"], images.ClassNames);
        Assert.Equal("Dataset(5 × [1, 4, 3], classification, 1 classes)", images.ToString());
    }

    [Fact]
    public void Sequences_may_have_one_class_per_step()
    {
        // Three sequences of two steps (ids as floats), each step with its class.
        var data = new Dataset(Tensor.From([[1f, 2f], [3f, 4f], [5f, 6f]]), Tensor.From([[0f, 2f], [1f, 1f], [2f, 0f]]), TaskKind.Classification);
        Assert.Equal(["0", "1", "2"], data.ClassNames);
        Assert.Equal(2, data.TargetWidth);
        var subset = data.Subset([2, 0]);
        Assert.Equal([2, 2], subset.Targets.Shape.ToArray());
        Assert.Equal([2f, 0f, 0f, 2f], subset.Targets.ToArray());
        var batch = new DataLoader(data, 2).First();
        Assert.Equal([2, 2], batch.Targets.Shape.ToArray());
        Assert.Equal([0f, 2f, 1f, 1f], batch.Targets.ToArray());
        var e = Assert.Throws<ArgumentException>(() => new Dataset(Tensor.Zeros([3, 2]), Tensor.From([[0f, 0.5f], [0f, 0f], [0f, 0f]]), TaskKind.Classification));
        Assert.Equal("Dataset: target 1 is 0.5, not a class index (an integer in 0 … 65535).", e.Message);
    }

    [Fact]
    public void Subset_copies_the_chosen_samples_in_order_and_keeps_the_names()
    {
        var data = Small();
        var subset = data.Subset([3, 0]);
        Assert.Equal([6f, 60f, 5f, 1f, 10f, 5f], subset.Features.ToArray());
        Assert.Equal([0f, 0f], subset.Targets.ToArray());
        Assert.Equal(["no", "yes"], subset.ClassNames);
        Assert.Equal(["a", "b", "c"], subset.FeatureNames!);
        subset.Features.Data[0] = 99;
        Assert.Equal(6f, data.Features[3, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([4]));
    }

    [Fact]
    public void Split_is_seeded_disjoint_complete_and_keeps_the_order()
    {
        var data = Synthetic.Sin(100, 0f, new Generator(1));
        var (train, validation) = data.Split(0.2, seed: 7);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, validation.Count);
        var all = train.Features.ToArray().Concat(validation.Features.ToArray()).Order().ToArray();
        Assert.Equal(data.Features.ToArray().Order().ToArray(), all);
        // Each part keeps the dataset's order: positions in the original increase.
        var position = data.Features.ToArray().Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i);
        var trainPositions = train.Features.ToArray().Select(v => position[v]).ToArray();
        Assert.Equal(trainPositions.Order().ToArray(), trainPositions);

        var (_, again) = data.Split(0.2, seed: 7);
        Assert.Equal(validation.Features.ToArray(), again.Features.ToArray());
        var (_, other) = data.Split(0.2, seed: 8);
        Assert.NotEqual(validation.Features.ToArray(), other.Features.ToArray());

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(1.0, 0));
        Assert.StartsWith("Split: the validation fraction must be between 0 and 1 (exclusive); got 1.", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Small().Split(0.1, 0));
        Assert.StartsWith("Split: a validation fraction of 0.1 of 4 samples leaves 0 for validation and 4 for training; both need at least one.", e.Message);
    }

    [Fact]
    public void Standardize_fits_on_the_training_set_only_and_maps_it_to_mean_0_std_1()
    {
        var train = Small();
        var s = Standardize.Fit(train);
        // Feature a: 1, 2, 3, 6 → mean 3, population variance (4 + 1 + 0 + 9)/4 = 3.5. Feature c is constant: std 1.
        Assert.Equal([3f, 30f, 5f], s.Mean);
        Assert.Equal(MathF.Sqrt(3.5f), s.Std[0], 6);
        Assert.Equal(1f, s.Std[2]);
        var y = s.Apply(train);
        for (int f = 0; f < 2; f++)
        {
            var column = Enumerable.Range(0, 4).Select(i => (double)y.Features[i, f]).ToArray();
            Assert.Equal(0, column.Average(), 6);
            Assert.Equal(1, Math.Sqrt(column.Select(v => v * v).Average()), 5);
        }
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0f, y.Features[i, 2]));
        Assert.Equal(train.Targets.ToArray(), y.Targets.ToArray());
        Assert.Equal(train.FeatureNames, y.FeatureNames);

        // Other data is transformed with the training statistics, not its own.
        var test = Tensor.From([[3f + MathF.Sqrt(3.5f), 30f, 7f]]);
        var z = s.Apply(test);
        Assert.Equal(1f, z[0, 0], 5);
        Assert.Equal([0f, 2f], z.ToArray()[1..]);
        var e = Assert.Throws<ArgumentException>(() => s.Apply(Tensor.Zeros([2, 4])));
        Assert.Equal("Standardize: fitted on 3 features per sample, but the input [2, 4] has 4.", e.Message);
    }

    [Fact]
    public void MinMaxScale_maps_the_training_range_to_0_1()
    {
        var train = Small();
        var m = MinMaxScale.Fit(train);
        Assert.Equal([1f, 10f, 5f], m.Min);
        Assert.Equal([6f, 60f, 5f], m.Max);
        var y = m.Apply(train).Features;
        // a: (2 − 1)/5 = 0.2; the constant c is shifted to 0.
        Assert.Equal([0f, 0f, 0f, 0.2f, 0.2f, 0f, 0.4f, 0.4f, 0f, 1f, 1f, 0f], y.ToArray());
        Assert.Equal([2f, 0f, 1f], m.Apply(Tensor.From([[11f, 10f, 6f]])).ToArray());
    }

    [Fact]
    public void One_statistic_for_all_features_scales_images_as_a_whole()
    {
        var images = new Dataset(Tensor.From([0f, 51f, 255f, 102f], [2, 1, 1, 2]), Tensor.Zeros([2]), TaskKind.Classification);
        var m = MinMaxScale.Fit(images, perFeature: false);
        Assert.Equal([0f], m.Min);
        Assert.Equal([255f], m.Max);
        var scaled = m.Apply(images.Features);
        Assert.Equal([2, 1, 1, 2], scaled.Shape.ToArray());
        Assert.Equal([0f, 0.2f, 1f, 0.4f], scaled.ToArray());
        var s = Standardize.Fit(images, perFeature: false);
        // Mean (0 + 51 + 255 + 102)/4 = 102.
        Assert.Equal([102f], s.Mean);
    }

    [Fact]
    public void Preprocessors_round_trip_through_json_exactly()
    {
        var train = Synthetic.Blobs(50, 0.3f, new Generator(2));
        IPreprocessor[] fitted = [Standardize.Fit(train), MinMaxScale.Fit(train)];
        foreach (var p in fitted)
        {
            string json = p.ToJson().ToJsonString();
            var back = Preprocessor.FromJson(JsonNode.Parse(json));
            Assert.Equal(p.GetType(), back.GetType());
            Assert.Equal(p.Apply(train.Features).ToArray(), back.Apply(train.Features).ToArray());
            Assert.Equal(json, back.ToJson().ToJsonString());
        }
        Assert.StartsWith("{\"type\":\"standardize\",\"mean\":[", fitted[0].ToJson().ToJsonString());
    }

    public static TheoryData<string, string> BadJson => new()
    {
        { "[1]", "model.preprocessing: expected an object with a \"type\"." },
        { "{\"type\":\"zscore\"}", "model.preprocessing.type: expected \"standardize\" or \"min_max\"; got \"zscore\"." },
        { "{\"mean\":[1]}", "model.preprocessing.type: expected \"standardize\" or \"min_max\"; got nothing." },
        { "{\"type\":\"standardize\",\"mean\":[1],\"std\":[0]}", "model.preprocessing.std[0]: a standard deviation must be > 0; got 0." },
        { "{\"type\":\"standardize\",\"mean\":[1,2],\"std\":[1]}", "model.preprocessing: 2 means but 1 standard deviations." },
        { "{\"type\":\"standardize\",\"mean\":[1,\"x\"],\"std\":[1,1]}", "model.preprocessing.mean[1]: expected a finite number; got \"x\"." },
        { "{\"type\":\"min_max\",\"min\":[],\"max\":[]}", "model.preprocessing.min: expected a non-empty array of numbers." },
        { "{\"type\":\"min_max\",\"min\":[0,3],\"max\":[1,2]}", "model.preprocessing.min[1]: the minimum 3 is above the maximum 2." },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public void Bad_preprocessor_json_names_the_field(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Preprocessor.FromJson(JsonNode.Parse(json), "model.preprocessing"));
        Assert.Equal(expected, e.Message);
    }
}
