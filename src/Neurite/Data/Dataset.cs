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
/// no shuffling — unless asked. Images are raw 0 … 255 values, kept as the bytes they are stored in
/// (<see cref="FromBytes"/>): the loader, <see cref="Subset"/>, <see cref="Split"/> and the preprocessors work
/// on the bytes and make the floats of each batch as it is copied.</para>
/// <para>A dataset never changes once built: <see cref="Subset"/>, <see cref="Split"/> and the
/// preprocessors return new datasets. Treat <see cref="Features"/> and <see cref="Targets"/> as read-only.</para>
/// </remarks>
public sealed class Dataset
{
    /// <summary>The most classes a dataset may have.</summary>
    public const int MaxClasses = 65536;

    private readonly int[] _sampleShape;
    private readonly int _count;
    private readonly ByteFeatures? _bytes;
    private Tensor? _features;

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
        : this(ShapeOf(features), features, null, targets, task, classNames, featureNames, vocabulary)
    {
    }

    private Dataset(int[] shape, Tensor? features, ByteFeatures? bytes, Tensor targets, TaskKind task,
        IReadOnlyList<string>? classNames, IReadOnlyList<string>? featureNames, IReadOnlyList<string>? vocabulary)
    {
        int count = shape[0];
        _sampleShape = shape[1..];
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
        _features = features;
        _bytes = bytes;
        _count = count;
        Targets = targets;
        Task = task;
        FeatureNames = featureNames?.ToArray();
        FeatureCount = featureCount;
        Vocabulary = vocabulary?.ToArray();
    }

    /// <summary>
    /// Features stored as unsigned bytes (images as a file holds them), read as floats of the same values 0 … 255: a
    /// quarter of the memory of a float copy. Scaling such a dataset by a preprocessor fitted on it
    /// (<see cref="MinMaxScale"/>, <see cref="Standardize"/>) keeps the bytes, and each batch the loader copies gets
    /// the scaled floats, bit-identical to those of scaling a float copy.
    /// </summary>
    /// <param name="values">The features, row-major [N, …sample shape] (not copied).</param>
    /// <param name="shape">[N, …sample shape].</param>
    /// <param name="targets">As for the constructor.</param>
    /// <param name="task">Classification or regression.</param>
    /// <param name="classNames">As for the constructor.</param>
    /// <exception cref="ArgumentException">The shape does not hold as many values, or the targets do not fit (as for the constructor).</exception>
    public static Dataset FromBytes(byte[] values, ReadOnlySpan<int> shape, Tensor targets, TaskKind task, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (shape.Length < 1)
        {
            throw new ArgumentException("Dataset: features must have a sample axis; got a scalar.");
        }
        long count = Shapes.CountOf(shape, nameof(FromBytes));
        if (count != values.Length)
        {
            throw new ArgumentException($"Dataset: {values.Length} bytes for features of shape {Shapes.Format(shape)} ({count} values).");
        }
        int sampleValues = Shapes.CheckedCount(shape[1..], "Dataset");
        return new Dataset(shape.ToArray(), null, new ByteFeatures(values, sampleValues), targets, task, classNames, null, null);
    }

    /// <summary>
    /// The inputs, [N, …sample shape]. For features stored as bytes (<see cref="FromBytes"/>) the first read makes
    /// and keeps a float copy; the loader, <see cref="Subset"/>, <see cref="Split"/> and the preprocessors need none.
    /// </summary>
    public Tensor Features => _features ?? LazyInitializer.EnsureInitialized(ref _features, () => new Tensor(_bytes!.ToFloats(), [_count, .. _sampleShape]));

    /// <summary>The bytes the features are stored as, with their scaling (<see cref="FromBytes"/>), or null for float features.</summary>
    internal ByteFeatures? StoredBytes => _bytes;

    /// <summary>Whether the features are held as floats: always for float features, for bytes once <see cref="Features"/> was read.</summary>
    internal bool HoldsFloats => _features is not null;

    /// <summary>The targets: [N] or [N, T] class indices (as floats), or [N, outputs] real values.</summary>
    public Tensor Targets { get; }

    /// <summary>Classification or regression.</summary>
    public TaskKind Task { get; }

    /// <summary>The name of each class index (empty for regression).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes (0 for regression).</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The number of samples N.</summary>
    public int Count => _count;

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
        if (_bytes is not null)
        {
            CheckIndices(indices);
            var subsetTargets = new float[indices.Length * TargetWidth];
            CopySamples(indices, [], subsetTargets, targetsOnly: true);
            return WithBytes(_bytes.WithValues(_bytes.Gather(indices)), indices.Length, new Tensor(subsetTargets, [indices.Length, .. Targets.Shape[1..]]));
        }
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
    internal void CopySamples(ReadOnlySpan<int> indices, Span<float> features, Span<float> targets) =>
        CopySamples(indices, features, targets, targetsOnly: false);

    private void CopySamples(ReadOnlySpan<int> indices, Span<float> features, Span<float> targets, bool targetsOnly)
    {
        CheckIndices(indices);
        int targetWidth = TargetWidth;
        ReadOnlySpan<float> sourceTargets = Targets.Data;
        for (int k = 0; k < indices.Length; k++)
        {
            sourceTargets.Slice(indices[k] * targetWidth, targetWidth).CopyTo(targets.Slice(k * targetWidth, targetWidth));
        }
        if (targetsOnly)
        {
            return;
        }
        if (_bytes is not null)
        {
            _bytes.CopyRows(indices, features);
        }
        else
        {
            Kernels.RowGather.Gather(Features.Data, FeatureCount, indices, features);
        }
    }

    private void CheckIndices(ReadOnlySpan<int> indices)
    {
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset: sample index {i} is out of range for {Count} samples.");
            }
        }
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
        return _bytes is null
            ? WithData(Features.View([Count, .. sampleShape]), Targets)
            : new Dataset([Count, .. sampleShape], null, _bytes, Targets, Task, ClassNamesOrNull, FeatureNames, Vocabulary);
    }

    /// <summary>A dataset with the same task, class and feature names and vocabulary over other tensors.</summary>
    internal Dataset WithData(Tensor features, Tensor targets) =>
        new(features, targets, Task, ClassNamesOrNull, FeatureNames, Vocabulary);

    /// <summary>A dataset with the same shape, targets, names and vocabulary over other stored bytes (a scaling of these).</summary>
    internal Dataset WithBytes(ByteFeatures bytes) => WithBytes(bytes, Count, Targets);

    private Dataset WithBytes(ByteFeatures bytes, int count, Tensor targets) =>
        new([count, .. _sampleShape], null, bytes, targets, Task, ClassNamesOrNull, FeatureNames, Vocabulary);

    private IReadOnlyList<string>? ClassNamesOrNull => Task == TaskKind.Classification ? ClassNames : null;

    private static int[] ShapeOf(Tensor features) =>
        features.Rank >= 1 ? features.Shape.ToArray() : throw new ArgumentException("Dataset: features must have a sample axis; got a scalar.");

    /// <summary>"Dataset(1000 × [2], classification, 2 classes)".</summary>
    public override string ToString() =>
        $"Dataset({Count} × {Shapes.Format(_sampleShape)}, " +
        (Task == TaskKind.Classification ? $"classification, {ClassCount} classes)" : $"regression, {TargetWidth} outputs)");
}
