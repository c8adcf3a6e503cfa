using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>Batching, shuffling, drop-last and augmentation.</summary>
public class DataLoaderTests
{
    // Sample i has the single feature i and the regression target 10·i, so a batch shows which samples it holds.
    private static Dataset Numbered(int n) => new(
        Tensor.Arange(n).Reshape([n, 1]), Tensor.From(Enumerable.Range(0, n).Select(i => 10f * i).ToArray(), [n, 1]), TaskKind.Regression);

    private static int[] Samples(IEnumerable<Batch> batches) => [.. batches.SelectMany(b => b.Inputs.Select(v => (int)v))];

    [Fact]
    public void Without_shuffling_batches_take_the_samples_in_order_with_a_short_last_batch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4);
        var batches = loader.ToList();
        Assert.Equal(3, loader.BatchCount);
        Assert.Equal([4, 4, 2], batches.Select(b => b.Inputs.Shape[0]).ToArray());
        Assert.Equal([4, 1], batches[0].Inputs.Shape.ToArray());
        Assert.Equal(Enumerable.Range(0, 10).ToArray(), Samples(batches));
        // Targets travel with their inputs.
        Assert.All(batches, b => Assert.Equal(b.Inputs.Select(v => 10 * v).ToArray(), b.Targets.ToArray()));
        Assert.Equal([2, 1], batches[2].Targets.Shape.ToArray());
    }

    [Fact]
    public void Drop_last_drops_the_incomplete_batch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, dropLast: true);
        var batches = loader.ToList();
        Assert.Equal(2, loader.BatchCount);
        Assert.Equal(8, loader.SampleCount);
        Assert.All(batches, b => Assert.Equal(4, b.Inputs.Shape[0]));
        Assert.Equal(Enumerable.Range(0, 8).ToArray(), Samples(batches));
        // When the size divides N nothing is dropped.
        Assert.Equal(3, new DataLoader(Numbered(12), 4, dropLast: true).Count());
    }

    [Fact]
    public void Shuffling_covers_every_sample_once_per_epoch_in_a_new_reproducible_order()
    {
        var loader = new DataLoader(Numbered(103), batchSize: 10, shuffle: true, seed: 42);
        var epoch0 = Samples(loader);
        var epoch1 = Samples(loader);
        Assert.Equal(Enumerable.Range(0, 103).ToArray(), epoch0.Order().ToArray());
        Assert.Equal(Enumerable.Range(0, 103).ToArray(), epoch1.Order().ToArray());
        Assert.NotEqual(Enumerable.Range(0, 103).ToArray(), epoch0);
        Assert.NotEqual(epoch0, epoch1);

        // Another loader with the same seed repeats the same sequence of epochs; any epoch can be asked for directly.
        var again = new DataLoader(Numbered(103), batchSize: 10, shuffle: true, seed: 42);
        Assert.Equal(epoch0, Samples(again));
        Assert.Equal(epoch1, Samples(again.Epoch(1)));
        Assert.Equal(epoch1, loader.Order(1));
        var resumed = new DataLoader(Numbered(103), batchSize: 10, shuffle: true, seed: 42) { NextEpoch = 1 };
        Assert.Equal(epoch1, Samples(resumed));
        Assert.Equal(2, resumed.NextEpoch);
        Assert.NotEqual(epoch0, Samples(new DataLoader(Numbered(103), 10, shuffle: true, seed: 43)));
    }

    [Fact]
    public void Classification_batches_have_one_class_index_per_sample()
    {
        var data = Synthetic.Moons(9, 0f, new Generator(0));
        var batch = new DataLoader(data, 5).First();
        Assert.Equal([5, 2], batch.Inputs.Shape.ToArray());
        Assert.Equal([5], batch.Targets.Shape.ToArray());
        Assert.Equal([0f, 1f, 0f, 1f, 0f], batch.Targets.ToArray());
    }

    [Fact]
    public void Invalid_loaders_are_refused()
    {
        Assert.Contains("the batch size must be at least 1; got 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(4), 0)).Message);
        Assert.StartsWith("DataLoader: with drop-last, a batch size of 5 for 4 samples leaves no batch.",
            Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(4), 5, dropLast: true)).Message);
        Assert.StartsWith("Augmentation: shift and flip need image samples [C, H, W]; these samples are [1].",
            Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(4), 2, augmentation: new Augmentation { MaxShift = 1 })).Message);
    }

    // One 1×3×4 image per sample with pixels 1 … 12 (row-major), so moved and mirrored pixels can be traced.
    private static Tensor Image() => Tensor.Arange(1, 13).Reshape([1, 1, 3, 4]);

    [Fact]
    public void A_shift_moves_pixels_and_fills_with_zeros()
    {
        var seen = new HashSet<(int, int)>();
        var rng = new Generator(3);
        for (int trial = 0; trial < 200; trial++)
        {
            var x = Image();
            new Augmentation { MaxShift = 1 }.Apply(x, rng);
            // Find the shift: pixel value v sits at row (v − 1)/4, column (v − 1)%4 in the original.
            (int Dy, int Dx)? shift = null;
            for (int y = 0; y < 3 && shift is null; y++)
            {
                for (int col = 0; col < 4 && shift is null; col++)
                {
                    int v = (int)x[0, 0, y, col];
                    if (v != 0)
                    {
                        shift = (y - (v - 1) / 4, col - (v - 1) % 4);
                    }
                }
            }
            var (dy, dx) = shift!.Value;
            Assert.InRange(dy, -1, 1);
            Assert.InRange(dx, -1, 1);
            seen.Add((dy, dx));
            for (int y = 0; y < 3; y++)
            {
                for (int col = 0; col < 4; col++)
                {
                    int sy = y - dy, sx = col - dx;
                    float expected = sy is >= 0 and < 3 && sx is >= 0 and < 4 ? 1 + sy * 4 + sx : 0;
                    Assert.Equal(expected, x[0, 0, y, col]);
                }
            }
        }
        // All nine shifts occur.
        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public void A_flip_mirrors_each_row_with_its_probability()
    {
        var always = Image();
        new Augmentation { FlipProbability = 1 }.Apply(always, new Generator(0));
        Assert.Equal([4f, 3f, 2f, 1f, 8f, 7f, 6f, 5f, 12f, 11f, 10f, 9f], always.ToArray());

        var rng = new Generator(1);
        int flipped = 0;
        for (int trial = 0; trial < 1000; trial++)
        {
            var x = Image();
            new Augmentation { FlipProbability = 0.3f }.Apply(x, rng);
            flipped += x[0, 0, 0, 0] == 4f ? 1 : 0;
        }
        // Binomial(1000, 0.3): mean 300, standard deviation 14.5.
        Assert.InRange(flipped, 250, 350);
    }

    [Fact]
    public void Noise_has_the_asked_standard_deviation_and_nothing_changes_unless_asked()
    {
        var x = Tensor.Zeros([100, 1, 10, 10]);
        new Augmentation { NoiseStd = 2f }.Apply(x, new Generator(4));
        double mean = x.Average(v => (double)v), std = Math.Sqrt(x.Average(v => (double)v * v));
        Assert.Equal(0, mean, 1);
        Assert.Equal(2, std, 1);

        var untouched = Image();
        new Augmentation().Apply(untouched, new Generator(4));
        Assert.Equal(Image().ToArray(), untouched.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation { FlipProbability = 1.5f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation { MaxShift = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation { NoiseStd = float.NaN });
    }

    [Fact]
    public void The_loader_augments_batches_reproducibly_and_leaves_the_dataset_alone()
    {
        var images = new Dataset(Tensor.Arange(1, 1 + 8 * 12).Reshape([8, 1, 3, 4]), Tensor.Zeros([8]), TaskKind.Classification);
        var original = images.Features.ToArray();
        var augmentation = new Augmentation { MaxShift = 1, FlipProbability = 0.5f, NoiseStd = 0.1f };
        var a = new DataLoader(images, 4, seed: 9, augmentation: augmentation);
        var b = new DataLoader(images, 4, seed: 9, augmentation: augmentation);
        var first = a.SelectMany(batch => batch.Inputs).ToArray();
        Assert.Equal(first, b.SelectMany(batch => batch.Inputs).ToArray());
        Assert.NotEqual(first, a.SelectMany(batch => batch.Inputs).ToArray());
        Assert.NotEqual(original, first);
        Assert.Equal(original, images.Features.ToArray());
        // Without augmentation the batches are the data as it is.
        Assert.Equal(original, new DataLoader(images, 4, seed: 9).SelectMany(batch => batch.Inputs).ToArray());
    }
}
