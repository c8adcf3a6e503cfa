using System.Globalization;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>What a caller changes in a spec's run (the CLI's flags); null keeps the spec's value.</summary>
/// <param name="Data">The data source, overriding <c>data.source</c>.</param>
/// <param name="Epochs">Epochs in all (default: the spec's, else 10).</param>
/// <param name="BatchSize">Samples per step (default: the spec's, else 32).</param>
/// <param name="Lr">The learning rate of every parameter group.</param>
/// <param name="Seed">The seed of the data, the initialization, the shuffling and dropout (default: the spec's, else 0).</param>
/// <param name="NoShuffle">Take the training samples in order.</param>
/// <param name="Init">Initial weights: a safetensors file with PyTorch's names.</param>
/// <param name="Resume">A checkpoint written by an earlier run to continue from.</param>
/// <param name="ModelPath">The model file to write; the checkpoints, history and report go beside it.</param>
/// <param name="SpecDirectory">Where file sources written in the spec are relative to.</param>
/// <param name="TimeLimit">Stop training once this much time has passed (<see cref="Trainer.TimeLimit"/>); the test data is still evaluated and the model written.</param>
/// <param name="Communicator">The ranks of a data-parallel run (the batch size is then per rank; rank 0 alone writes files), or null.</param>
/// <param name="BucketBytes">Gradient bytes per all-reduce in a data-parallel run.</param>
/// <param name="SyncBatchNorm">In a data-parallel run, batch norm layers normalize by the statistics of the global
/// batch, summed over the ranks (<see cref="NN.BatchNorm.ConvertSyncBatchNorm"/>), rather than each rank's shard.</param>
public sealed record RunOptions(
    string? Data = null, int? Epochs = null, int? BatchSize = null, double? Lr = null, ulong? Seed = null, bool NoShuffle = false,
    string? Init = null, string? Resume = null, string ModelPath = "model.safetensors", string SpecDirectory = ".", TimeSpan? TimeLimit = null,
    Distributed.ICommunicator? Communicator = null, int BucketBytes = 25 << 20, bool SyncBatchNorm = false);

/// <summary>What a finished run produced.</summary>
/// <param name="Fit">The history and why training stopped.</param>
/// <param name="Test">The evaluation on the test data (else the validation data), if there is any.</param>
/// <param name="ModelPath">The model file written.</param>
/// <param name="Restored">The epoch whose weights early stopping put back (<c>restore_best</c>), which the model file holds; null when it holds the last epoch's.</param>
public sealed record RunResult(FitResult Fit, Evaluation? Test, string ModelPath, EpochResult? Restored = null)
{
    /// <summary>The figures of the epoch whose weights the model file holds: the restored one, else the last one (null before any epoch).</summary>
    public EpochResult? Final => Restored ?? (Fit.History.Count == 0 ? null : Fit.History[^1]);
}

/// <summary>
/// One training run as a spec describes it: <see cref="Create"/> turns the spec and the caller's
/// overrides into the data, the model, the optimizer, the schedules and the callbacks (the last and
/// best checkpoints and the history, beside the model file), checking everything before any
/// training; <see cref="Execute"/> trains, evaluates the test data and writes the model file with
/// its metadata. The CLI's <c>neurite train</c> is this type plus rendering.
/// </summary>
public sealed class TrainingRun
{
    private readonly bool _writes;
    private EarlyStopping? _earlyStopping;

    private TrainingRun(ModelSpec spec, PreparedData data, Trainer trainer, DataLoader loader, int epochs, string modelPath, bool writes)
    {
        (Spec, Data, Trainer, Loader, Epochs, ModelPath, _writes) = (spec, data, trainer, loader, epochs, modelPath, writes);
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath));
        (LastCheckpointPath, BestCheckpointPath, HistoryPath, ReportPath) =
            (stem + ".last.ckpt.safetensors", stem + ".best.ckpt.safetensors", stem + ".history.csv", stem + ".report.html");
    }

    /// <summary>The spec (the checkpoint's when resuming).</summary>
    public ModelSpec Spec { get; }

    /// <summary>The training, validation and test data, scaled as the spec asks.</summary>
    public PreparedData Data { get; }

    /// <summary>The trainer, holding the model, the objective, the optimizer and the schedules.</summary>
    public Trainer Trainer { get; }

    /// <summary>The training batches.</summary>
    public DataLoader Loader { get; }

    /// <summary>The epochs in all.</summary>
    public int Epochs { get; }

    /// <summary>The model file <see cref="Execute"/> writes.</summary>
    public string ModelPath { get; }

    /// <summary>The checkpoint written after every epoch.</summary>
    public string LastCheckpointPath { get; }

    /// <summary>The checkpoint written whenever the monitored loss reaches a new best.</summary>
    public string BestCheckpointPath { get; }

    /// <summary>The history, rewritten after every epoch.</summary>
    public string HistoryPath { get; }

    /// <summary>Where a front end writes the run's report (beside the model file).</summary>
    public string ReportPath { get; }

    /// <summary>
    /// Reads the spec file at <paramref name="path"/> for a run on <paramref name="data"/> (else the spec's own
    /// <c>data.source</c>, relative to the spec's folder): a count written "vocab" becomes that source's vocabulary size.
    /// </summary>
    /// <exception cref="FileNotFoundException">The spec or a text source is missing.</exception>
    /// <exception cref="ModelSpecException">The spec is invalid, or says "vocab" for a source without a vocabulary.</exception>
    /// <exception cref="InvalidDataException">A text source is empty or not UTF-8.</exception>
    public static ModelSpec LoadSpec(string path, string? data = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        string json = File.ReadAllText(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? source = data ?? (ModelSpec.DataSourceOf(json) is { } fromSpec ? RelativeTo(directory, fromSpec) : null);
        return ModelSpec.Parse(json, path, source is null ? null : DataSources.VocabularyOf(source)?.Count);
    }

    /// <summary>Builds a run of <paramref name="spec"/> (ignored when <see cref="RunOptions.Resume"/> names a checkpoint, whose spec is used).</summary>
    /// <exception cref="ArgumentException">An option, the data and the spec do not fit together; the message names what and where.</exception>
    /// <exception cref="InvalidDataException">A file (data, initial weights, checkpoint) is invalid.</exception>
    public static TrainingRun Create(ModelSpec spec, RunOptions options, IProgress<TrainingEvent>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoint = options.Resume is null ? null : Checkpoint.Load(options.Resume);
        if (checkpoint is not null)
        {
            spec = checkpoint.Spec ?? throw new InvalidDataException($"{options.Resume}: the checkpoint holds no model spec, so it cannot resume a spec's run.");
            ModelFile.CheckHolds(spec, checkpoint.ModelState, options.Resume!);
        }
        ArgumentNullException.ThrowIfNull(spec);
        int epochs = Positive(options.Epochs ?? spec.Epochs ?? 10, "--epochs");
        int batchSize = Positive(options.BatchSize ?? spec.BatchSize ?? 32, "--batch-size");
        ulong seed = options.Seed ?? spec.Seed ?? 0;
        if (options.Lr is { } rate && !(rate >= 0 && double.IsFinite(rate)))
        {
            throw new ArgumentException($"--lr: expected a finite non-negative number, got {rate}");
        }
        CheckFitsInMemory(spec);
        string source = options.Data
            ?? (spec.Data?.Source is { } fromSpec ? RelativeTo(options.SpecDirectory, fromSpec) : null)
            ?? throw new ArgumentException("no data: pass --data SOURCE or set data.source in the spec");

        // An autoencoder's (or an RBM's) loss compares the output with the input; the data's own targets only label the samples.
        bool autoencoder = spec.ReconstructsInput;
        var prepared = DataPreparation.ForTraining(spec, source, seed, autoencoder ? null : spec.Loss?.Objective().Task);
        var objective = spec.Loss?.Objective()
            ?? Objective.FromName(autoencoder || prepared.Train.Task == TaskKind.Regression ? "mse" : "cross_entropy");
        var inputShape = DataPreparation.InputShape(spec, prepared.Train);
        if (!autoencoder)
        {
            DataPreparation.CheckOutputs(spec, prepared.Train, objective);
        }

        var model = spec.Build(new Generator(seed));
        foreach (var sampler in model.Modules().OfType<NN.GaussianSample>())
        {
            // Held-out losses are then ELBO estimates from sampled codes, as the training loss is.
            sampler.SampleInEval = true;
        }
        if (options.Init is not null)
        {
            ModelFile.LoadWeights(options.Init, model);
        }
        var optimizer = spec.Optimizer?.Build(model.Parameters()) ?? new Adam(model.Parameters());
        if (options.Lr is { } lr)
        {
            foreach (var group in optimizer.ParamGroups)
            {
                group.Lr = lr;
            }
        }
        var augmentation = spec.Data?.Augment is { } a
            ? new Augmentation { MaxShift = a.Shift, FlipProbability = a.Flip ? 0.5f : 0, NoiseStd = (float)a.Noise }
            : null;
        bool shuffle = !options.NoShuffle && spec.Data?.Shuffle != false;
        var communicator = options.Communicator is { Size: > 1 } ranks ? ranks : null;
        var loader = new DataLoader(prepared.Train, batchSize, shuffle, seed, spec.Data?.DropLast ?? false, augmentation,
            communicator is null ? null : new Shard(communicator.Rank, communicator.Size));
        var (scheduler, interval, plateau) = ScheduleBuilder.Build(spec.Schedule, optimizer, epochs, loader.BatchCount);

        var callbacks = new List<ITrainingCallback>();
        if (communicator is not null)
        {
            callbacks.Add(new Distributed.DataParallel(model, communicator, options.BucketBytes));
            if (options.SyncBatchNorm)
            {
                NN.BatchNorm.ConvertSyncBatchNorm(model, communicator);
            }
        }
        var trainer = new Trainer(model, objective, optimizer)
        {
            Scheduler = scheduler,
            Interval = interval,
            Plateau = plateau,
            L1 = spec.L1 ?? 0,
            L2 = spec.L2 ?? 0,
            ClipGradNorm = spec.ClipGradNorm,
            Seed = seed,
            InputShape = inputShape,
            TargetIsInput = autoencoder,
            Callbacks = callbacks,
            Metrics = [.. (spec.Metrics ?? []).Select(MetricNames.Create), .. BoltzmannMetrics.For(model)],
            Progress = progress,
            TimeLimit = options.TimeLimit,
            Communicator = communicator,
        };
        bool writes = communicator is not { Rank: > 0 };
        var run = new TrainingRun(spec, prepared, trainer, loader, epochs, options.ModelPath, writes);
        if (spec.EarlyStopping is { } stopping)
        {
            run._earlyStopping = new EarlyStopping(stopping.Patience, stopping.MinDelta, stopping.RestoreBest);
            callbacks.Add(run._earlyStopping);
        }
        if (writes)
        {
            callbacks.Add(new ModelCheckpoint((t, path) => Checkpoint.Save(path, t, spec), run.LastCheckpointPath, run.BestCheckpointPath));
            callbacks.Add(new HistoryLog(run.HistoryPath));
        }
        checkpoint?.Restore(trainer);
        return run;
    }

    /// <summary>
    /// Trains to the last epoch (or an early stop), evaluates the test data (else the validation
    /// data), and writes the model file with the scaling, feature names and class names in its metadata.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite; the message names the last good checkpoint.</exception>
    public RunResult Execute(CancellationToken cancellation = default)
    {
        var fit = Trainer.Fit(Loader, Data.HeldOut, Epochs, cancellation);
        if (fit.Reason == StopReason.NonFiniteLoss)
        {
            throw new InvalidOperationException($"{fit.Message}; the last good checkpoint is {LastCheckpointPath}");
        }
        var restored = _earlyStopping?.RestoredEpoch is { } epoch ? fit.History[epoch - 1] : null;
        var test = Data.Test ?? Data.Validation;
        var evaluation = test is null ? null : Unchanged(test, restored) ?? Trainer.Evaluate(test);
        if (_writes)
        {
            ModelFile.Save(ModelPath, Trainer.Model, Spec, Metadata());
        }
        return new RunResult(fit, evaluation, ModelPath, restored);
    }

    /// <summary>
    /// The last epoch's evaluation of <paramref name="test"/> when evaluating it again would repeat it: the same data,
    /// no step since, no weights restored, and no generator in the model (a VAE samples its codes in evaluation too).
    /// </summary>
    private Evaluation? Unchanged(Dataset test, EpochResult? restored) =>
        Trainer.LastHeldOut is { } last && ReferenceEquals(last.Data, test) && last.Steps == Trainer.Steps && restored is null
            && Trainer.Model.Generators().Count == 0 ? last.Result : null;

    /// <summary>What the model file keeps beside the spec: the scaling, the feature names, the class names and the vocabulary.</summary>
    private Dictionary<string, string> Metadata()
    {
        var metadata = new Dictionary<string, string>();
        if (Data.Preprocessor is not null)
        {
            metadata[ModelFile.PreprocessingKey] = Data.Preprocessor.ToJson().ToJsonString();
        }
        if (Data.Train.FeatureNames is { } featureNames)
        {
            metadata[ModelFile.FeaturesKey] = Names(featureNames);
        }
        if (Data.Train.Task == TaskKind.Classification)
        {
            metadata[ModelFile.ClassesKey] = Names(Data.Train.ClassNames);
        }
        if (Data.Train.Vocabulary is { } vocabulary)
        {
            metadata[ModelFile.VocabularyKey] = Names(vocabulary);
        }
        return metadata;
    }

    /// <summary>Names as the JSON list the model file's metadata holds.</summary>
    public static string Names(IEnumerable<string> names) => new JsonArray([.. names.Select(name => (JsonNode)name)]).ToJsonString();

    /// <summary>A file source written in a spec (a CSV path, idx:IMAGES,LABELS, text:PATH,…) is relative to the spec's folder; names are left alone.</summary>
    internal static string RelativeTo(string specDirectory, string source)
    {
        string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(specDirectory, path);
        if (source.StartsWith("idx:", StringComparison.Ordinal))
        {
            return "idx:" + string.Join(',', source[4..].Split(',').Select(Resolve));
        }
        if (source.StartsWith("text:", StringComparison.Ordinal))
        {
            var (path, parameters) = DataSources.SplitText(source);
            return "text:" + Resolve(path) + (parameters.Length > 0 ? "," + parameters : "");
        }
        return source.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? Resolve(source) : source;
    }

    /// <summary>
    /// Refuses a network that cannot be trained in this process's memory before anything is allocated: each parameter
    /// takes 16 bytes in training (its value, its gradient, and up to two optimizer buffers such as Adam's moments).
    /// </summary>
    private static void CheckFitsInMemory(ModelSpec spec)
    {
        long parameters = spec.MinimumParameters();
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (parameters > available / 16)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the model has at least {parameters:N0} parameters, which need about {parameters * 16.0 / (1 << 30):0.#} GiB to train, more than the {available / (double)(1 << 30):0.#} GiB this process may use"));
        }
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name}: expected a positive integer, got {value}");
}
