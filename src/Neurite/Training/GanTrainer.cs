using System.Diagnostics;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>The figures of one adversarial step.</summary>
/// <param name="DiscriminatorLoss">BCE(D(x), 1) + BCE(D(G(z)), 0), before the discriminator's update.</param>
/// <param name="GeneratorLoss">The non-saturating BCE(D(G(z)), 1) = −mean log σ(D(G(z))), with the updated discriminator.</param>
/// <param name="RealScore">The mean of σ(D(x)) over the real batch (PyTorch's DCGAN example's D(x)).</param>
/// <param name="FakeScore">The mean of σ(D(G(z))) before the discriminator's update (the example's D(G(z₁))).</param>
public sealed record GanStep(double DiscriminatorLoss, double GeneratorLoss, double RealScore, double FakeScore);

/// <summary>
/// Trains a <see cref="Gan"/> as PyTorch's DCGAN example does (Radford et al., 2016): each step draws z ~ N(0, I) and
/// makes the fake batch G(z) once, then takes one discriminator step on the real batch and the detached fake batch,
/// then one generator step with the non-saturating loss (Goodfellow et al., 2014, section 3: G maximizes log D(G(z))
/// rather than minimizing log(1 − D(G(z)))), each side with its own optimizer. Losses are binary cross-entropy on logits.
/// </summary>
/// <remarks>
/// A conditional pair's fake batch takes the real batch's labels, so that each class is drawn as often as the data
/// holds it. The real images are the data's samples, scaled to [0, 1], mapped to [−1, 1] (the tanh's range). The noise
/// and the modules' generators (dropout) are reseeded every epoch from (<see cref="Seed"/>, epoch), as
/// <see cref="Trainer"/> does: the same seed trains the same pair.
/// </remarks>
public sealed class GanTrainer
{
    private readonly List<EpochResult> _history = [];

    /// <param name="gan">The pair.</param>
    /// <param name="generatorOptimizer">Updates the generator's parameters.</param>
    /// <param name="discriminatorOptimizer">Updates the discriminator's parameters.</param>
    public GanTrainer(Gan gan, Optimizer generatorOptimizer, Optimizer discriminatorOptimizer)
    {
        Gan = gan ?? throw new ArgumentNullException(nameof(gan));
        GeneratorOptimizer = generatorOptimizer ?? throw new ArgumentNullException(nameof(generatorOptimizer));
        DiscriminatorOptimizer = discriminatorOptimizer ?? throw new ArgumentNullException(nameof(discriminatorOptimizer));
    }

    public Gan Gan { get; }

    public Optimizer GeneratorOptimizer { get; }

    public Optimizer DiscriminatorOptimizer { get; }

    /// <summary>The seed of the noise and of the per-epoch reseeding of the modules' generators.</summary>
    public ulong Seed { get; init; }

    /// <summary>The image shape [C, H, W] the batches are reshaped to, when the data's samples are flat.</summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    public IProgress<TrainingEvent>? Progress { get; init; }

    /// <summary>Stop before the next step once this much time has passed since <see cref="Fit"/> began.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Every epoch's figures: the train loss is the discriminator's; the metrics are loss_g, d_real and d_fake.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>Adversarial steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// What a checkpoint needs beyond the weights and the two optimizers' state to continue this run exactly: {"epoch",
    /// "steps", "history"}. The noise and the modules' generators are reseeded from the epoch, so nothing else is needed.
    /// </summary>
    public JsonObject SaveState() => new()
    {
        ["epoch"] = _history.Count,
        ["steps"] = Steps,
        ["history"] = new JsonArray([.. _history.Select(r => (JsonNode)HistoryLog.ToJson(r))]),
    };

    /// <summary>Restores what <see cref="SaveState"/> wrote: the history and the step count.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed; <paramref name="source"/> names where the state came from.</exception>
    public void LoadState(JsonObject state, string source = "training state")
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var history = (state["history"] ?? throw new InvalidDataException($"{source}: no \"history\"")).AsArray()
                .Select(node => HistoryLog.FromJson(node!)).ToList();
            long steps = (state["steps"] ?? throw new InvalidDataException($"{source}: no \"steps\"")).GetValue<long>();
            ArgumentOutOfRangeException.ThrowIfNegative(steps);
            _history.Clear();
            _history.AddRange(history);
            Steps = steps;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: malformed: {e.Message.Split('\n')[0].TrimEnd()}");
        }
    }

    /// <summary>
    /// One adversarial step on real images <paramref name="real"/> [B, C, H, W] in [−1, 1] (with their labels for a
    /// conditional pair) and codes <paramref name="z"/> [B, latent]: one discriminator step, then one generator step.
    /// </summary>
    public GanStep Step(Tensor real, IReadOnlyList<int>? labels, Tensor z)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(z);
        int batch = real.Shape[0];
        var ones = Tensor.Full([batch, 1], 1f);
        var zeros = Tensor.Zeros([batch, 1]);
        var fake = Gan.Generate(z, labels);

        // The discriminator: maximize log D(x) + log(1 − D(G(z))); the fake batch is detached, so G gets no gradient.
        DiscriminatorOptimizer.ZeroGrad();
        var realLogits = Gan.Discriminate(real, labels);
        var fakeLogits = Gan.Discriminate(fake.Detach(), labels);
        var discriminatorLoss = Losses.BinaryCrossEntropyWithLogits(realLogits, ones) + Losses.BinaryCrossEntropyWithLogits(fakeLogits, zeros);
        discriminatorLoss.Backward();
        DiscriminatorOptimizer.Step();

        // The generator, non-saturating: minimize −log D(G(z)), through the discriminator as just updated.
        GeneratorOptimizer.ZeroGrad();
        var generatorLoss = Losses.BinaryCrossEntropyWithLogits(Gan.Discriminate(fake, labels), ones);
        generatorLoss.Backward();
        GeneratorOptimizer.Step();
        Steps++;
        return new GanStep(discriminatorLoss.Item(), generatorLoss.Item(), MeanSigmoid(realLogits), MeanSigmoid(fakeLogits));
    }

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are done in all (counting those before a resume); <paramref name="epochEnded"/>
    /// runs after each (the report's sample grid, the files).
    /// </summary>
    /// <exception cref="ArgumentException">A conditional pair is given data without class labels.</exception>
    public FitResult Fit(DataLoader train, int epochs, Action<EpochResult>? epochEnded = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (Gan.Classes is not null && train.Data.Task != TaskKind.Classification)
        {
            throw new ArgumentException("gan.classes: a conditional GAN needs data labelled with classes");
        }
        var generators = Gan.Generators();
        var clock = Stopwatch.StartNew();
        (StopReason Reason, string Message)? stop = null;
        long samples = 0;
        double computeSeconds = 0;
        while (_history.Count < epochs && stop is null)
        {
            int epoch = _history.Count + 1;
            for (int i = 0; i < generators.Count; i++)
            {
                generators[i].Reseed(Trainer.EpochSeed(Seed, epoch, i));
            }
            var noise = new Generator(Trainer.EpochSeed(Seed, epoch, generators.Count));
            Gan.Train();
            Progress?.Report(new EpochStarted(epoch, epochs, train.BatchCount));
            var epochClock = Stopwatch.StartNew();
            double discriminatorSum = 0, generatorSum = 0, realSum = 0, fakeSum = 0, epochCompute = 0;
            long epochSamples = 0;
            int batchIndex = 0;
            foreach (var batch in train.Epoch(epoch - 1))
            {
                if (cancellation.IsCancellationRequested || (TimeLimit is { } limit && clock.Elapsed >= limit))
                {
                    stop = cancellation.IsCancellationRequested
                        ? (StopReason.Cancelled, $"cancelled during epoch {epoch}")
                        : (StopReason.TimeLimit, $"time limit reached after {batchIndex} batches of epoch {epoch}");
                    break;
                }
                long start = Stopwatch.GetTimestamp();
                int size = batch.Inputs.Shape[0];
                var images = InputShape is null ? batch.Inputs : Ops.Reshape(batch.Inputs, [size, .. InputShape]);
                // x ∈ [0, 1] → 2x − 1 ∈ [−1, 1].
                var real = Ops.Sub(Ops.Mul(images, 2f), Tensor.Scalar(1f));
                int[]? labels = Gan.Classes is null ? null : [.. batch.Targets.Data.ToArray().Select(label => (int)label)];
                var step = Step(real, labels, Tensor.Normal([size, Gan.Latent], 0, 1, noise));
                if (!double.IsFinite(step.DiscriminatorLoss) || !double.IsFinite(step.GeneratorLoss))
                {
                    stop = (StopReason.NonFiniteLoss, $"a loss became non-finite at epoch {epoch}, batch {batchIndex + 1}; training stopped (lower the learning rate?)");
                    break;
                }
                epochCompute += Stopwatch.GetElapsedTime(start).TotalSeconds;
                discriminatorSum += step.DiscriminatorLoss * size;
                generatorSum += step.GeneratorLoss * size;
                realSum += step.RealScore * size;
                fakeSum += step.FakeScore * size;
                epochSamples += size;
                batchIndex++;
                if (Progress is not null)
                {
                    var eta = TimeSpan.FromSeconds(epochClock.Elapsed.TotalSeconds / batchIndex * (train.BatchCount - batchIndex));
                    Progress.Report(new BatchEnded(epoch, epochs, batchIndex, train.BatchCount, discriminatorSum / epochSamples, null,
                        epochSamples / Math.Max(epochCompute, 1e-9), eta));
                }
            }
            samples += epochSamples;
            computeSeconds += epochCompute;
            if (stop is not null)
            {
                break;
            }
            var metrics = new Dictionary<string, double>
            {
                ["loss_g"] = generatorSum / epochSamples,
                ["d_real"] = realSum / epochSamples,
                ["d_fake"] = fakeSum / epochSamples,
            };
            var result = new EpochResult(epoch, discriminatorSum / epochSamples, null, null, null, DiscriminatorOptimizer.ParamGroups[0].Lr,
                epochClock.Elapsed.TotalSeconds, epochSamples / Math.Max(epochCompute, 1e-9), metrics);
            _history.Add(result);
            epochEnded?.Invoke(result);
            Progress?.Report(new EpochEnded(result, epochs));
        }
        if (stop is { } stopped)
        {
            Progress?.Report(new TrainingStopped(stopped.Reason, stopped.Message));
        }
        return new FitResult(_history.ToArray(), stop?.Reason ?? StopReason.Completed, stop?.Message, samples / Math.Max(computeSeconds, 1e-9));
    }

    /// <summary>
    /// Images [N, C, H, W] in [0, 1] (the data's scale) from codes <paramref name="z"/> [N, latent] (and labels), the generator in
    /// evaluation mode (batch norm's running statistics), without recording a graph.
    /// </summary>
    public static Tensor Sample(Gan gan, Tensor z, IReadOnlyList<int>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(gan);
        bool wasTraining = gan.IsTraining;
        gan.Eval();
        try
        {
            using var _ = Graph.NoGrad();
            // G's tanh output y ∈ [−1, 1] → (y + 1) / 2 ∈ [0, 1].
            return Ops.Mul(Ops.Add(gan.Generate(z, labels), 1f), 0.5f);
        }
        finally
        {
            gan.Train(wasTraining);
        }
    }

    /// <summary>
    /// <paramref name="count"/> samples drawn with <paramref name="rng"/>: codes from N(0, I), and for a conditional pair
    /// the classes in rows, sample i of class i / ⌈count / classes⌉ (<see cref="ClassRows"/>). [count, C, H, W] in [0, 1].
    /// </summary>
    public static Tensor Sample(Gan gan, int count, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(gan);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var z = Tensor.Normal([count, gan.Latent], 0, 1, rng);
        return Sample(gan, z, gan.Classes is { } classes ? ClassRows(count, classes) : null);
    }

    /// <summary>The columns of a grid of <paramref name="count"/> samples with one row per class: ⌈count / classes⌉.</summary>
    public static int Columns(int count, int classes) => (count + classes - 1) / classes;

    /// <summary>The labels of <paramref name="count"/> samples laid out one class per row of <see cref="Columns"/> samples.</summary>
    public static int[] ClassRows(int count, int classes) =>
        [.. Enumerable.Range(0, count).Select(i => i / Columns(count, classes))];

    private static double MeanSigmoid(Tensor logits) => logits.Data.ToArray().Average(logit => 1 / (1 + Math.Exp(-logit)));
}
