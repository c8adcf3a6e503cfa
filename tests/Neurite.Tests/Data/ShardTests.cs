using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>A data-parallel rank's part of each global batch: the same batches as one process, split between the ranks.</summary>
public class ShardTests
{
    private static Dataset Numbered(int count) =>
        new(Tensor.Arange(0, count).Reshape([count, 1]),
            Tensor.From(Enumerable.Range(0, count).Select(i => (float)(i % 2)).ToArray()), TaskKind.Classification, ["a", "b"]);

    [Theory]
    [InlineData(37, 4, 3, false)] // 37 = 3·12 + 1: a last global batch of 1 sample for 3 ranks is refused
    [InlineData(38, 4, 3, false)] // a last global batch of 2 for 3 ranks: refused
    [InlineData(40, 4, 3, false)] // a last global batch of 4: split 1, 1, 2
    [InlineData(38, 4, 3, true)]  // drop-last drops the last 2
    [InlineData(45, 5, 2, false)] // a last global batch of 5: split 2, 3
    public void The_ranks_shards_make_up_one_process_global_batches(int count, int batchSize, int ranks, bool dropLast)
    {
        var data = Numbered(count);
        var single = new DataLoader(data, batchSize * ranks, shuffle: true, seed: 9, dropLast: dropLast);
        long last = count % (batchSize * ranks);
        if (!dropLast && last != 0 && last < ranks)
        {
            var e = Assert.Throws<ArgumentException>(() => new DataLoader(data, batchSize, true, 9, dropLast, shard: new Shard(0, ranks)));
            Assert.Contains($"the last global batch holds {last} of {count} samples, fewer than the {ranks} ranks", e.Message);
            return;
        }
        var shards = Enumerable.Range(0, ranks)
            .Select(rank => new DataLoader(data, batchSize, true, 9, dropLast, shard: new Shard(rank, ranks)).Epoch(2).ToList())
            .ToList();
        var global = single.Epoch(2).ToList();
        Assert.All(shards, batches => Assert.Equal(global.Count, batches.Count));
        for (int b = 0; b < global.Count; b++)
        {
            // In rank order, the shards' samples are the global batch's, in its order; the shares are each shard's fraction.
            Assert.Equal(global[b].Inputs.ToArray(), shards.SelectMany(batches => batches[b].Inputs.ToArray()));
            Assert.Equal(global[b].Targets.ToArray(), shards.SelectMany(batches => batches[b].Targets.ToArray()));
            int size = global[b].Inputs.Shape[0];
            Assert.All(shards, batches => Assert.Equal((double)batches[b].Inputs.Shape[0] / size, batches[b].Share, 12));
            Assert.InRange(shards.Max(batches => batches[b].Inputs.Shape[0]) - shards.Min(batches => batches[b].Inputs.Shape[0]), 0, 1);
        }
        Assert.All(global, batch => Assert.Equal(1, batch.Share));
    }

    [Fact]
    public void A_rank_outside_the_run_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(8), 2, shard: new Shard(2, 2)));
        Assert.StartsWith("DataLoader: rank 2 of 2 is not a shard.", e.Message);
    }
}
