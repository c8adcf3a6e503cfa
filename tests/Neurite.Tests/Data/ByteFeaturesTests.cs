using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>
/// Features kept as bytes (<see cref="Dataset.FromBytes"/>, what the IDX reader returns): every float the loader,
/// the subsets and the preprocessors make from them is bit-identical to what the same operations give on the bytes
/// read as a float tensor, and none of them makes a float copy of the whole set.
/// </summary>
public class ByteFeaturesTests
{
    private const int Samples = 37, Width = 12;

    /// <summary>Random bytes as [37, 1, 3, 4] images (features 5 and 7 constant, as an image's border), 3 classes.</summary>
    private static (Dataset Bytes, Dataset Floats) Pair(int seed = 5)
    {
        var random = new Random(seed);
        var pixels = new byte[Samples * Width];
        random.NextBytes(pixels);
        for (int n = 0; n < Samples; n++)
        {
            pixels[n * Width + 5] = 0;
            pixels[n * Width + 7] = 9;
        }
        var labels = Enumerable.Range(0, Samples).Select(i => (float)(i % 3)).ToArray();
        var bytes = Dataset.FromBytes(pixels, [Samples, 1, 3, 4], Tensor.From(labels), TaskKind.Classification, ["a", "b", "c"]);
        var floats = new Dataset(Tensor.From([.. pixels.Select(p => (float)p)], [Samples, 1, 3, 4]), Tensor.From(labels), TaskKind.Classification, ["a", "b", "c"]);
        return (bytes, floats);
    }

    private static int[] Bits(ReadOnlySpan<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>The floats of every batch of two epochs of a shuffled loader with an odd batch size.</summary>
    private static List<(int[] Inputs, int[] Targets)> Batches(Dataset data) =>
        [.. Enumerable.Range(0, 2).SelectMany(epoch => new DataLoader(data, 5, shuffle: true, seed: 3).Epoch(epoch))
            .Select(batch => (Bits(batch.Inputs.Data), Bits(batch.Targets.Data)))];

    private static void AssertSameBatches(Dataset expected, Dataset actual)
    {
        var (e, a) = (Batches(expected), Batches(actual));
        Assert.Equal(e.Count, a.Count);
        for (int b = 0; b < e.Count; b++)
        {
            Assert.Equal(e[b].Inputs, a[b].Inputs);
            Assert.Equal(e[b].Targets, a[b].Targets);
        }
    }

    public static TheoryData<string> Scalings => ["none", "minmax", "minmax_global", "standardize", "standardize_global"];

    private static IPreprocessor? Fit(string scaling, Dataset data) => scaling switch
    {
        "minmax" => MinMaxScale.Fit(data),
        "minmax_global" => MinMaxScale.Fit(data, perFeature: false),
        "standardize" => Standardize.Fit(data),
        "standardize_global" => Standardize.Fit(data, perFeature: false),
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Scalings))]
    public void Scaled_bytes_give_the_floats_of_a_scaled_float_copy_bit_for_bit(string scaling)
    {
        var (bytes, floats) = Pair();
        var fromBytes = Fit(scaling, bytes);
        var fromFloats = Fit(scaling, floats);
        Assert.Equal(fromFloats?.ToJson().ToJsonString(), fromBytes?.ToJson().ToJsonString());
        var scaledBytes = fromBytes?.Apply(bytes) ?? bytes;
        var scaledFloats = fromFloats?.Apply(floats) ?? floats;

        Assert.NotNull(scaledBytes.StoredBytes);
        Assert.Same(bytes.StoredBytes!.Values, scaledBytes.StoredBytes.Values);
        AssertSameBatches(scaledFloats, scaledBytes);
        Assert.False(scaledBytes.HoldsFloats);
        Assert.False(bytes.HoldsFloats);

        // Reading the features makes the whole float copy, the same values again.
        Assert.Equal(Bits(scaledFloats.Features.Data), Bits(scaledBytes.Features.Data));
        Assert.Equal(scaledFloats.Features.Shape.ToArray(), scaledBytes.Features.Shape.ToArray());
        Assert.True(scaledBytes.HoldsFloats);
    }

    [Fact]
    public void Statistics_of_bytes_equal_those_of_the_bytes_as_floats()
    {
        var (bytes, floats) = Pair(11);
        foreach (bool perFeature in new[] { true, false })
        {
            var a = Preprocessor.Statistics(bytes, perFeature, "test");
            var b = Preprocessor.Statistics(floats, perFeature, "test");
            Assert.Equal(b.Min, a.Min);
            Assert.Equal(b.Max, a.Max);
            Assert.Equal(b.Mean, a.Mean);
            Assert.Equal(b.Variance, a.Variance);
            var c = Preprocessor.Statistics(bytes, perFeature, "test", moments: false);
            Assert.Equal(b.Min, c.Min);
            Assert.Equal(b.Max, c.Max);
        }
        Assert.False(bytes.HoldsFloats);
    }

    [Fact]
    public void Subsets_splits_and_reshapes_keep_the_bytes_and_their_scaling()
    {
        var (bytes, floats) = Pair(2);
        var scaling = MinMaxScale.Fit(bytes, perFeature: false);
        var (scaledBytes, scaledFloats) = (scaling.Apply(bytes), scaling.Apply(floats));

        var (trainB, validationB) = scaledBytes.Split(0.3, 7);
        var (trainF, validationF) = scaledFloats.Split(0.3, 7);
        int[] pick = [4, 0, 36, 4];
        var parts = new[]
        {
            (trainB, trainF), (validationB, validationF), (scaledBytes.Subset(pick), scaledFloats.Subset(pick)),
            (scaledBytes.Reshape([12]), scaledFloats.Reshape([12])),
        };
        foreach (var (b, f) in parts)
        {
            Assert.NotNull(b.StoredBytes);
            Assert.Equal(f.ToString(), b.ToString());
            Assert.Equal(Bits(f.Targets.Data), Bits(b.Targets.Data));
            AssertSameBatches(f, b);
            Assert.Equal(Bits(f.Features.Data), Bits(b.Features.Data));
        }
        Assert.False(scaledBytes.HoldsFloats);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scaledBytes.Subset([37]));
        Assert.StartsWith("Dataset: sample index 37 is out of range for 37 samples.", e.Message);
    }

    [Fact]
    public void A_second_scaling_of_scaled_bytes_works_on_floats_as_before()
    {
        var (bytes, floats) = Pair(3);
        var first = MinMaxScale.Fit(bytes);
        var (onceB, onceF) = (first.Apply(bytes), first.Apply(floats));
        var second = Standardize.Fit(onceB);
        Assert.Equal(Standardize.Fit(onceF).ToJson().ToJsonString(), second.ToJson().ToJsonString());
        var twice = second.Apply(onceB);
        Assert.Null(twice.StoredBytes);
        Assert.Equal(Bits(second.Apply(onceF).Features.Data), Bits(twice.Features.Data));
    }

    [Fact]
    public void Bad_bytes_and_mismatched_scalings_are_refused_with_their_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Dataset.FromBytes(new byte[11], [3, 4], Tensor.Zeros([3]), TaskKind.Classification));
        Assert.Equal("Dataset: 11 bytes for features of shape [3, 4] (12 values).", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dataset.FromBytes(new byte[12], [3, 4], Tensor.Zeros([2]), TaskKind.Classification));
        Assert.StartsWith("Dataset: classification targets must have shape [3]", e.Message);

        var (bytes, _) = Pair();
        var other = Dataset.FromBytes(new byte[3 * 5], [3, 5], Tensor.Zeros([3]), TaskKind.Classification);
        e = Assert.Throws<ArgumentException>(() => MinMaxScale.Fit(bytes).Apply(other));
        Assert.Equal("MinMaxScale: fitted on 12 features per sample, but the input [3, 5] has 5.", e.Message);
    }
}
