using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// A GAN's training run as its spec (<see cref="GanSpec"/>) describes it, the adversarial counterpart of
/// <see cref="TrainingRun"/>: <see cref="Create"/> loads the data (scaled to [0, 1] by one range, minmax_global), builds
/// the pair and one optimizer per side; <see cref="Execute"/> trains (<see cref="GanTrainer"/>), and after every epoch
/// rewrites the model file, the checkpoint and the history beside it and draws the samples of <see cref="FixedNoise"/>,
/// the same codes every epoch, so that the epochs' samples compare.
/// </summary>
public sealed class GanRun
{
    /// <summary>The samples drawn after each epoch: 8 per class of a conditional pair, else 64.</summary>
    public const int SamplesPerClass = 8;

    /// <summary>The names of the two optimizers in the run's checkpoint (<see cref="Checkpoint"/>).</summary>
    public const string GeneratorOptimizerName = "generator_optimizer", DiscriminatorOptimizerName = "discriminator_optimizer";

    private readonly List<Tensor> _epochSamples = [];

    private GanRun(ModelSpec spec, PreparedData data, GanTrainer trainer, DataLoader loader, int epochs, string modelPath, Tensor fixedNoise, int[]? fixedLabels)
    {
        (Spec, Data, Trainer, Loader, Epochs, ModelPath, FixedNoise, FixedLabels) = (spec, data, trainer, loader, epochs, modelPath, fixedNoise, fixedLabels);
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath));
        (LastCheckpointPath, HistoryPath, ReportPath) = (stem + ".last.ckpt.safetensors", stem + ".history.csv", stem + ".report.html");
    }

    public ModelSpec Spec { get; }

    /// <summary>The training data (and the test data, unused by training), scaled to [0, 1].</summary>
    public PreparedData Data { get; }

    public GanTrainer Trainer { get; }

    public DataLoader Loader { get; }

    public int Epochs { get; }

    /// <summary>The model file, rewritten after every epoch.</summary>
    public string ModelPath { get; }

    /// <summary>The checkpoint (both networks, both optimizers, the history), rewritten after every epoch: <c>--resume</c> continues from it.</summary>
    public string LastCheckpointPath { get; }

    /// <summary>The history, rewritten after every epoch.</summary>
    public string HistoryPath { get; }

    /// <summary>Where a front end writes the run's report (beside the model file).</summary>
    public string ReportPath { get; }

    /// <summary>The codes the samples after each epoch are drawn from.</summary>
    public Tensor FixedNoise { get; }

    /// <summary>Their labels, one class per row of <see cref="SamplesPerClass"/>, for a conditional pair; else null.</summary>
    public IReadOnlyList<int>? FixedLabels { get; }

    /// <summary>The samples [N, C, H, W] in [0, 1] of <see cref="FixedNoise"/> after each epoch this run trained so far.</summary>
    public IReadOnlyList<Tensor> EpochSamples => _epochSamples;

    /// <summary>The epoch of <see cref="EpochSamples"/>[0]: 1, or the first after the checkpoint a resumed run started from.</summary>
    public int FirstSampledEpoch { get; private init; } = 1;

    /// <summary>
    /// Builds a run of a GAN spec, or continues the one whose checkpoint <see cref="RunOptions.Resume"/> names (its spec is
    /// then used; the next epochs are those the uninterrupted run would have trained). <see cref="RunOptions.Init"/> and a
    /// communicator are refused.
    /// </summary>
    /// <exception cref="ArgumentException">An option, the data and the spec do not fit together; the message names what and where.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is invalid or not a GAN's.</exception>
    public static GanRun Create(ModelSpec spec, RunOptions options, IProgress<TrainingEvent>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoint = options.Resume is null ? null : Checkpoint.Load(options.Resume);
        if (checkpoint is not null)
        {
            spec = checkpoint.Spec is { Gan: not null } saved ? saved : throw new InvalidDataException($"{options.Resume}: not a GAN's checkpoint (no \"gan\" in its spec)");
            ModelFile.CheckHolds(spec, checkpoint.ModelState, options.Resume!);
        }
        ArgumentNullException.ThrowIfNull(spec);
        var gan = spec.Gan ?? throw new ArgumentException("the spec has no \"gan\"");
        if (options.Init is not null || options.Communicator is { Size: > 1 })
        {
            throw new ArgumentException($"{(options.Init is not null ? "--init" : "--distributed")}: not available for a GAN's run");
        }
        int epochs = options.Epochs ?? spec.Epochs ?? 10;
        int batchSize = options.BatchSize ?? spec.BatchSize ?? 64;
        if (epochs < 1 || batchSize < 1)
        {
            throw new ArgumentException(epochs < 1 ? $"--epochs: expected a positive integer, got {epochs}" : $"--batch-size: expected a positive integer, got {batchSize}");
        }
        if (options.Lr is { } rate && !(rate >= 0 && double.IsFinite(rate)))
        {
            throw new ArgumentException($"--lr: expected a finite non-negative number, got {rate}");
        }
        ulong seed = options.Seed ?? spec.Seed ?? 0;
        string source = options.Data
            ?? (spec.Data?.Source is { } fromSpec ? TrainingRun.RelativeTo(options.SpecDirectory, fromSpec) : null)
            ?? throw new ArgumentException("no data: pass --data SOURCE or set data.source in the spec");
        var scaled = spec with { Data = (spec.Data ?? new DataSpec(source)) with { Scale = "minmax_global" } };
        var prepared = DataPreparation.ForTraining(scaled, source, seed, gan.IsConditional ? TaskKind.Classification : null);
        if (gan.Classes is { } classes && prepared.Train.ClassCount != classes)
        {
            throw new ArgumentException($"gan.classes: the GAN is conditioned on {classes} classes, but the data has {prepared.Train.ClassCount}");
        }
        var inputShape = DataPreparation.InputShape(spec, prepared.Train);

        var model = (Gan)spec.Build(new Generator(seed));
        var generatorOptimizer = gan.GeneratorOptimizer.Build(model.Generator.Parameters());
        var discriminatorOptimizer = gan.DiscriminatorOptimizer.Build(model.Discriminator.Parameters());
        if (options.Lr is { } lr)
        {
            foreach (var group in generatorOptimizer.ParamGroups.Concat(discriminatorOptimizer.ParamGroups))
            {
                group.Lr = lr;
            }
        }
        var trainer = new GanTrainer(model, generatorOptimizer, discriminatorOptimizer)
        {
            Seed = seed,
            InputShape = inputShape,
            Progress = progress,
            TimeLimit = options.TimeLimit,
        };
        if (checkpoint is not null)
        {
            checkpoint.Restore(model, new Dictionary<string, Optimizer>
            {
                [GeneratorOptimizerName] = generatorOptimizer,
                [DiscriminatorOptimizerName] = discriminatorOptimizer,
            });
            trainer.LoadState(checkpoint.Training, $"{options.Resume}: __metadata__.{Checkpoint.TrainingKey}");
        }
        var loader = new DataLoader(prepared.Train, batchSize, !options.NoShuffle && spec.Data?.Shuffle != false, seed, spec.Data?.DropLast ?? false);
        int count = gan.Classes is { } k ? k * SamplesPerClass : 64;
        // The fixed codes come from a generator of their own, so that they do not depend on the training's draws.
        var fixedNoise = Tensor.Normal([count, gan.Latent], 0, 1, new Generator(seed ^ 0x5A17_F1ED_0015_E5EDUL));
        return new GanRun(spec, prepared, trainer, loader, epochs, options.ModelPath, fixedNoise, gan.Classes is { } c ? GanTrainer.ClassRows(count, c) : null)
        {
            FirstSampledEpoch = trainer.History.Count + 1,
        };
    }

    /// <summary>
    /// Trains to the last epoch, after each one drawing the fixed noise's samples (<see cref="EpochSamples"/>) and rewriting the
    /// model file (with the scaling and class names in its metadata) and the history.
    /// </summary>
    /// <exception cref="InvalidOperationException">A loss became NaN or infinite; the message names the model file of the last good epoch.</exception>
    public FitResult Execute(CancellationToken cancellation = default)
    {
        var fit = Trainer.Fit(Loader, Epochs, _ =>
        {
            _epochSamples.Add(GanTrainer.Sample(Trainer.Gan, FixedNoise, FixedLabels));
            ModelFile.Save(ModelPath, Trainer.Gan, Spec, Metadata());
            Checkpoint.Save(LastCheckpointPath, Spec, Trainer.Gan, new Dictionary<string, Optimizer>
            {
                [GeneratorOptimizerName] = Trainer.GeneratorOptimizer,
                [DiscriminatorOptimizerName] = Trainer.DiscriminatorOptimizer,
            }, Trainer.SaveState());
            HistoryLog.Write(HistoryPath, Trainer.History);
        }, cancellation);
        if (fit.Reason == StopReason.NonFiniteLoss)
        {
            throw new InvalidOperationException($"{fit.Message}; the last good epoch's model is {ModelPath}");
        }
        if (Trainer.History.Count == 0)
        {
            ModelFile.Save(ModelPath, Trainer.Gan, Spec, Metadata());
        }
        return fit;
    }

    private Dictionary<string, string> Metadata()
    {
        var metadata = new Dictionary<string, string>();
        if (Data.Preprocessor is not null)
        {
            metadata[ModelFile.PreprocessingKey] = Data.Preprocessor.ToJson().ToJsonString();
        }
        if (Data.Train.Task == TaskKind.Classification)
        {
            metadata[ModelFile.ClassesKey] = TrainingRun.Names(Data.Train.ClassNames);
        }
        return metadata;
    }
}
