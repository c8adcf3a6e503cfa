using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>What the targets of a dataset are: class indices or real values.</summary>
public enum TaskKind
{
    /// <summary>Targets are class indices 0 … ClassCount − 1, one per sample (a [N] tensor) or one per step of a sequence (a [N, T] tensor).</summary>
    Classification,

    /// <summary>Targets are real values, one row per sample (a [N, outputs] tensor).</summary>
    Regression,
}

/// <summary>
/// Samples held in memory: features [N, …sample shape] and targets — [N] float class indices for
/// classification ([N, T] for one class per step of a sequence), [N, outputs] for regression.
/// </summary>
/// <remarks>
/// <para>The Data layer in short:</para>
/// <list type="bullet">
/// <item><see cref="DataSources.Load"/> turns a source name (a synthetic generator such as
/// <c>spirals:n=1000,noise=0.2</c>, <c>fashion-mnist</c>, a CSV path, <c>idx:IMAGES,LABELS</c>) into
/// a <see cref="LoadedData"/>: a training <see cref="Dataset"/> and, where the source has one, a test set.
/// <see cref="Synthetic"/>, <see cref="CsvData"/> and <see cref="Idx"/> are the readers behind it.</item>
/// <item><see cref="Split"/> holds out a validation set; <see cref="Standardize"/> and
/// <see cref="MinMaxScale"/> are fitted on the training set and saved as JSON so that prediction
/// applies the same transform.</item>
/// <item><see cref="DataLoader"/> yields mini-batches (seeded shuffling, drop-last) and applies
/// <see cref="Augmentation"/> when given one.</item>
/// </list>
/// <para>Nothing is implicit: data is used in the order and scale it was read — no split, no scaling,
/// no shuffling — unless asked. Images are raw 0 … 255 floats.</para>
/// <para>A dataset never changes once built: <see cref="Subset"/>, <see cref="Split"/> and the
/// preprocessors return new datasets. Treat <see cref="Features"/> and <see cref="Targets"/> as read-only.</para>
/// </remarks>
public sealed class Dataset
{
    /// <summary>The most classes a dataset may have.</summary>
    public const int MaxClasses = 65536;

    private readonly int[] _sampleShape;

    /// <summary>
    /// Wraps features and targets (not copied). For classification, <paramref name="classNames"/>
    /// gives the name of each class index; without it the classes are named "0", "1", … up to the
    /// largest target. <paramref name="vocabulary"/> gives the token that each integer id among the
    /// features stands for (a character-level text's characters), for data that an embedding reads.
    /// </summary>
    /// <exception cref="ArgumentException">The sample counts differ, the targets have the wrong
    /// shape, or a class index is not an integer in range.</exception>
    public Dataset(Tensor features, Tensor targets, TaskKind task,
        IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null, IReadOnlyList<string>? vocabulary = null)
    {
        if (features.Rank < 1)
        {
            throw new ArgumentException("Dataset: features must have a sample axis; got a scalar.");
        }
        int count = features.Shape[0];
        _sampleShape = features.Shape[1..].ToArray();
        if (task == TaskKind.Classification)
        {
            if (targets.Rank is not (1 or 2) || targets.Shape[0] != count)
            {
                throw new ArgumentException(
                    $"Dataset: classification targets must have shape [{count}] (one class index per sample) or [{count}, steps] (one per step); got {Shapes.Format(targets.Shape)}.");
            }
            int largest = -1;
            var t = targets.Data;
            for (int i = 0; i < t.Length; i++)
            {
                float c = t[i];
                if (!(c >= 0) || c != MathF.Floor(c) || c >= MaxClasses)
                {
                    throw new ArgumentException(
                        $"Dataset: target {i} is {c}, not a class index (an integer in 0 … {MaxClasses - 1}).");
                }
                if (classNames is not null && c >= classNames.Count)
                {
                    throw new ArgumentException($"Dataset: target {i} is {c}, but there are {classNames.Count} class names.");
                }
                largest = Math.Max(largest, (int)c);
            }
            ClassNames = classNames?.ToArray() ?? Enumerable.Range(0, largest + 1).Select(i => i.ToString()).ToArray();
        }
        else
        {
            if (targets.Rank != 2 || targets.Shape[0] != count)
            {
                throw new ArgumentException(
                    $"Dataset: regression targets must have shape [{count}, outputs]; got {Shapes.Format(targets.Shape)}.");
            }
            if (classNames is not null)
            {
                throw new ArgumentException("Dataset: class names are given for a regression dataset.");
            }
            ClassNames = [];
        }
        int featureCount = Shapes.CheckedCount(_sampleShape, "Dataset");
        if (featureNames is not null && featureNames.Count != featureCount)
        {
            throw new ArgumentException(
                $"Dataset: {featureNames.Count} feature names for {featureCount} features per sample.");
        }
        Features = features;
        Targets = targets;
        Task = task;
        FeatureNames = featureNames?.ToArray();
        FeatureCount = featureCount;
        Vocabulary = vocabulary?.ToArray();
    }

    /// <summary>The inputs, [N, …sample shape].</summary>
    public Tensor Features { get; }

    /// <summary>The targets: [N] or [N, T] class indices (as floats), or [N, outputs] real values.</summary>
    public Tensor Targets { get; }

    /// <summary>Classification or regression.</summary>
    public TaskKind Task { get; }

    /// <summary>The name of each class index (empty for regression).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes (0 for regression).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The number of samples N.</summary>
    public int Count => Features.Shape[0];

    /// <summary>The shape of one sample, e.g. [2] for points or [1, 28, 28] for images.</summary>
    public ReadOnlySpan<int> SampleShape => _sampleShape;

    /// <summary>The number of values in one sample (the product of <see cref="SampleShape"/>).</summary>
    public int FeatureCount { get; }

    /// <summary>The number of values in one target: 1 for classification (T for one class per step), outputs for regression.</summary>
    public int TargetWidth => Targets.Rank == 1 ? 1 : Targets.Shape[1];

    /// <summary>The names of the features (CSV columns), or null where the source has none.</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>The token each integer id among the features stands for, by id (saved with a model), or null where the features are not ids of a vocabulary.</summary>
    public IReadOnlyList<string>? Vocabulary { get; }

    /// <summary>A new dataset of the samples at <paramref name="indices"/>, in that order (copied).</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        var features = new float[indices.Length * FeatureCount];
        var targets = new float[indices.Length * TargetWidth];
        CopySamples(indices, features, targets);
        int[] featureShape = [indices.Length, .. _sampleShape];
        return WithData(new Tensor(features, featureShape), new Tensor(targets, [indices.Length, .. Targets.Shape[1..]]));
    }

    /// <summary>
    /// Splits off a random validation set of round(N · <paramref name="validationFraction"/>) samples,
    /// chosen by a generator seeded with <paramref name="seed"/>. Both parts keep the original order
    /// of their samples (the split chooses, it does not shuffle).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not in (0, 1) or leaves either part empty.</exception>
    public (Dataset Train, Dataset Validation) Split(double validationFraction, ulong seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                $"Split: the validation fraction must be between 0 and 1 (exclusive); got {validationFraction}.");
        }
        int validationCount = (int)Math.Round(Count * validationFraction);
        if (validationCount < 1 || validationCount >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                $"Split: a validation fraction of {validationFraction} of {Count} samples leaves {validationCount} for validation and {Count - validationCount} for training; both need at least one.");
        }
        var order = new Generator(seed).Permutation(Count);
        var validation = order[..validationCount];
        var train = order[validationCount..];
        Array.Sort(validation);
        Array.Sort(train);
        return (Subset(train), Subset(validation));
    }

    /// <summary>
    /// Copies the samples at <paramref name="indices"/> into <paramref name="features"/> and
    /// <paramref name="targets"/> (one gather; the destinations may be reused buffers).
    /// </summary>
    internal void CopySamples(ReadOnlySpan<int> indices, Span<float> features, Span<float> targets)
    {
        int targetWidth = TargetWidth;
        ReadOnlySpan<float> sourceTargets = Targets.Data;
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset: sample index {i} is out of range for {Count} samples.");
            }
            sourceTargets.Slice(i * targetWidth, targetWidth).CopyTo(targets.Slice(k * targetWidth, targetWidth));
        }
        Kernels.RowGather.Gather(Features.Data, FeatureCount, indices, features);
    }

    /// <summary>
    /// The same samples under another sample shape with as many values, in row-major order (the features are shared,
    /// not copied): 64 CSV columns as [1, 8, 8] images.
    /// </summary>
    /// <exception cref="ArgumentException">The shape holds another number of values than a sample.</exception>
    public Dataset Reshape(ReadOnlySpan<int> sampleShape)
    {
        long count = Shapes.CountOf(sampleShape, nameof(Reshape));
        if (count != FeatureCount)
        {
            throw new ArgumentException(
                $"Dataset: samples of shape {Shapes.Format(_sampleShape)} ({FeatureCount} values) cannot take the shape {Shapes.Format(sampleShape)} ({count} values).");
        }
        return WithData(Features.View([Count, .. sampleShape]), Targets);
    }

    /// <summary>A dataset with the same task, class and feature names and vocabulary over other tensors.</summary>
    internal Dataset WithData(Tensor features, Tensor targets) =>
        new(features, targets, Task, Task == TaskKind.Classification ? ClassNames : null, FeatureNames, Vocabulary);

    /// <summary>"Dataset(1000 × [2], classification, 2 classes)".</summary>
    public override string ToString() =>
        $"Dataset({Count} × {Shapes.Format(_sampleShape)}, " +
        (Task == TaskKind.Classification ? $"classification, {ClassCount} classes)" : $"regression, {TargetWidth} outputs)");
}
