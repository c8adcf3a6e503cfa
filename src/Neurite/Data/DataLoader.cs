using System.Collections;
using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>One mini-batch.</summary>
/// <param name="Inputs">[B, …sample shape].</param>
/// <param name="Targets">[B] or [B, T] class indices, or [B, outputs].</param>
public readonly record struct Batch(Tensor Inputs, Tensor Targets)
{
    /// <summary>The batch's fraction of the global batch it is a shard of (1 without sharding): the trainer scales the
    /// loss by it, so that the ranks' gradients sum to the global batch's.</summary>
    public double Share { get; init; } = 1;
}

/// <summary>This process's part of a data-parallel run: rank <paramref name="Rank"/> of <paramref name="Count"/>.</summary>
public readonly record struct Shard(int Rank, int Count);

/// <summary>
/// Yields a dataset in mini-batches. Enumerating the loader runs the next epoch (0, 1, 2, …);
/// <see cref="Epoch"/> gives the batches of any epoch directly (for resuming).
/// </summary>
/// <remarks>
/// <para>Without shuffling, batches take the samples in dataset order. With shuffling, epoch e uses a
/// permutation drawn from a generator seeded by (<see cref="Seed"/>, e): a new order each epoch, the
/// same orders on every run. The last batch is smaller when <see cref="BatchSize"/> does not divide
/// N, unless <see cref="DropLast"/> drops it.</para>
/// <para>With a <see cref="Shard"/>, each epoch walks the same global batches of <see cref="BatchSize"/>·ranks
/// samples as one process at that batch size would, in the same order, and rank r takes the r-th of equal parts of
/// each (the last global batch is split as evenly as it goes).</para>
/// <para>Each batch is one gather copy of its samples into new tensors (the caller may keep them);
/// the <see cref="Augmentation"/>, when given, then changes the inputs in place with its own
/// generator seeded by (<see cref="Seed"/>, e). Give it to the training loader only.</para>
/// </remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    private int _nextEpoch;

    /// <summary>A loader over <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The batch size is below 1, the data is empty, or the
    /// augmentation needs images and the samples are not [C, H, W].</exception>
    public DataLoader(Dataset data, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false,
        Augmentation? augmentation = null, Shard? shard = null)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: the batch size must be at least 1; got {batchSize}.");
        }
        if (data.Count == 0)
        {
            throw new ArgumentException("DataLoader: the dataset is empty.", nameof(data));
        }
        if (dropLast && batchSize > data.Count)
        {
            throw new ArgumentException(
                $"DataLoader: with drop-last, a batch size of {batchSize} for {data.Count} samples leaves no batch.", nameof(batchSize));
        }
        augmentation?.Check(data.SampleShape);
        if (shard is { } part)
        {
            if (part.Count < 1 || (uint)part.Rank >= (uint)part.Count)
            {
                throw new ArgumentException($"DataLoader: rank {part.Rank} of {part.Count} is not a shard.", nameof(shard));
            }
            long global = (long)batchSize * part.Count;
            long last = data.Count % global;
            if (!dropLast && last != 0 && last < part.Count)
            {
                throw new ArgumentException(
                    $"DataLoader: the last global batch holds {last} of {data.Count} samples, fewer than the {part.Count} ranks; drop it (drop_last) or change the batch size.",
                    nameof(shard));
            }
            if (global > data.Count && dropLast)
            {
                throw new ArgumentException($"DataLoader: with drop-last, a global batch of {global} for {data.Count} samples leaves no batch.", nameof(batchSize));
            }
        }
        Shard = shard;
        Data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Augmentation = augmentation;
    }

    /// <summary>The dataset.</summary>
    public Dataset Data { get; }

    /// <summary>The number of samples per batch (the last one may have fewer).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch takes the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffling and augmentation generators.</summary>
    public ulong Seed { get; }

    /// <summary>Whether an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The augmentation applied to each batch's inputs, or null.</summary>
    public Augmentation? Augmentation { get; }

    /// <summary>This process's part of a data-parallel run, or null for all of every batch.</summary>
    public Shard? Shard { get; }

    /// <summary>The samples of one global batch: <see cref="BatchSize"/> times the ranks.</summary>
    public int GlobalBatchSize => BatchSize * (Shard?.Count ?? 1);

    /// <summary>The number of batches per epoch.</summary>
    public int BatchCount => DropLast ? Data.Count / GlobalBatchSize : (Data.Count + GlobalBatchSize - 1) / GlobalBatchSize;

    /// <summary>The number of samples per epoch over all ranks (fewer than N when drop-last drops some).</summary>
    public int SampleCount => DropLast ? BatchCount * GlobalBatchSize : Data.Count;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the samples (all N of them, even with drop-last).</summary>
    public int[] Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return Shuffle ? EpochGenerator(epoch, 0).Permutation(Data.Count) : Enumerable.Range(0, Data.Count).ToArray();
    }

    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based), independent of what ran before.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Order(epoch);
        var augmentationRng = Augmentation is null ? null : EpochGenerator(epoch, 1);
        int[] inputShape = [0, .. Data.SampleShape];
        int ranks = Shard?.Count ?? 1, rank = Shard?.Rank ?? 0;
        for (int globalStart = 0; globalStart + (DropLast ? GlobalBatchSize : 1) <= Data.Count; globalStart += GlobalBatchSize)
        {
            int globalSize = Math.Min(GlobalBatchSize, Data.Count - globalStart);
            int start = globalStart + (int)((long)rank * globalSize / ranks);
            int size = globalStart + (int)((long)(rank + 1) * globalSize / ranks) - start;
            inputShape[0] = size;
            // The inputs' array is lent by the buffer pool: once a step is done with the batch, the next batch reuses
            // memory already paged in instead of 400 KB (MNIST at batch 128) of fresh memory a step.
            var inputs = Tensor.Empty(inputShape);
            var targets = GC.AllocateUninitializedArray<float>(size * Data.TargetWidth);
            Data.CopySamples(order.AsSpan(start, size), inputs.Data, targets);
            var batch = new Batch(inputs, new Tensor(targets, [size, .. Data.Targets.Shape[1..]]))
            {
                Share = ranks == 1 ? 1 : (double)size / globalSize,
            };
            Augmentation?.Apply(batch.Inputs, augmentationRng!);
            yield return batch;
        }
    }

    /// <summary>The epoch the next enumeration runs; set it to resume training at a given epoch.</summary>
    public int NextEpoch
    {
        get => _nextEpoch;
        set => _nextEpoch = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(NextEpoch), $"DataLoader: the epoch must be >= 0; got {value}.");
    }

    /// <summary>Runs epoch <see cref="NextEpoch"/> and advances it: 0 on the first enumeration, then 1, 2, ….</summary>
    public IEnumerator<Batch> GetEnumerator() => Epoch(_nextEpoch++).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A generator for one epoch and one purpose (0: order, 1: augmentation); SplitMix64 seeding decorrelates nearby seeds.</summary>
    private Generator EpochGenerator(int epoch, int stream) =>
        new(unchecked(Seed + 0x9E3779B97F4A7C15UL * (ulong)(2 * epoch + stream + 1)));
}
