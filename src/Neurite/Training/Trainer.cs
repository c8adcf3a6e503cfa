using System.Diagnostics;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>When an <see cref="LRScheduler"/> steps.</summary>
public enum ScheduleInterval
{
    /// <summary>After every optimizer step (warmup, one-cycle).</summary>
    Step,

    /// <summary>After every epoch (PyTorch's usual StepLR, cosine over epochs).</summary>
    Epoch,
}

/// <summary>A model's loss and metrics on a dataset.</summary>
/// <param name="Loss">The mean loss over the samples.</param>
/// <param name="Samples">How many samples were evaluated.</param>
/// <param name="Classification">Accuracy, confusion matrix and per-class scores (classification).</param>
/// <param name="Regression">MSE, MAE and R² (regression).</param>
/// <param name="Metrics">The value of each of the trainer's <see cref="Trainer.Metrics"/>, by name.</param>
public sealed record Evaluation(
    double Loss, long Samples, ClassificationMetrics? Classification, RegressionMetrics? Regression, IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>A loss: the prediction and the batch's targets give a differentiable scalar, reduced by mean over the batch.</summary>
public delegate Tensor LossFunction(Tensor prediction, Tensor target);

/// <summary>
/// The fit loop, for any <see cref="Module"/> and any <see cref="LossFunction"/>: for each epoch,
/// each mini-batch runs forward, loss (plus the terms modules add, <see cref="IAddsLoss"/>, such as a VAE's KL
/// divergence, which the reported loss includes, and any L1/L2 penalty on the weight matrices), backward,
/// the callbacks' <see cref="ITrainingCallback.OnAfterBackward"/>, optional gradient clipping, the
/// optimizer step and <see cref="ITrainingCallback.OnBatchEnd"/>; then the held-out data is
/// evaluated, schedules step, callbacks run and progress is reported. Evaluation and prediction
/// need no optimizer.
/// </summary>
/// <remarks>
/// Modules that draw random numbers while running (dropout) register their generators
/// (<see cref="Module.Generators"/>); the trainer reseeds each at the start of every epoch from
/// (<see cref="Seed"/>, epoch, its index): the masks of an epoch do not depend on what ran before, so
/// a run resumed from a checkpoint repeats the uninterrupted one exactly. Nothing global is touched.
/// </remarks>
public sealed class Trainer
{
    private readonly List<EpochResult> _history = [];
    private readonly LossFunction _loss;
    private (StopReason Reason, string Message)? _stopRequest;

    /// <summary>A trainer whose loss is a spec's <paramref name="objective"/>: it checks the data's task and reports accuracy or regression metrics.</summary>
    /// <param name="model">The network.</param>
    /// <param name="objective">The loss, with the task it implies.</param>
    /// <param name="optimizer">Updates the parameters; only <see cref="Fit"/> needs one.</param>
    public Trainer(Module model, Objective objective, Optimizer? optimizer = null)
        : this(model, (objective ?? throw new ArgumentNullException(nameof(objective))).Loss, optimizer) => Objective = objective;

    /// <summary>A trainer with any loss function; the figures it reports are the loss and <see cref="Metrics"/>.</summary>
    /// <param name="model">The network.</param>
    /// <param name="loss">(prediction, target) → a scalar tensor.</param>
    /// <param name="optimizer">Updates the parameters; only <see cref="Fit"/> needs one.</param>
    public Trainer(Module model, LossFunction loss, Optimizer? optimizer = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Optimizer = optimizer;
    }

    public Module Model { get; }

    /// <summary>The spec loss the trainer was made with, or null for a custom loss function.</summary>
    public Objective? Objective { get; }

    /// <summary>The optimizer, or null for a trainer that only evaluates and predicts.</summary>
    public Optimizer? Optimizer { get; }

    /// <summary>A schedule to step, and when (<see cref="Interval"/>).</summary>
    public LRScheduler? Scheduler { get; init; }

    public ScheduleInterval Interval { get; init; } = ScheduleInterval.Epoch;

    /// <summary>Reduce-on-plateau, stepped after each epoch with the validation loss (the training loss without held-out data).</summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    /// <summary>λ of an L1 penalty λ·Σ|W| on the weight matrices (<see cref="Penalties.Weights"/>).</summary>
    public double L1 { get; init; }

    /// <summary>λ of an L2 penalty (λ/2)·Σ‖W‖² on the weight matrices.</summary>
    public double L2 { get; init; }

    /// <summary>Clip the gradients to this global 2-norm before each step.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>
    /// Whether a NaN or infinite loss stops training before its backward pass (the default), with
    /// <see cref="StopReason.NonFiniteLoss"/>; when false, the steps go on as PyTorch's would and the
    /// epochs report the non-finite loss (TensorFlow Playground lets a diverged network run on).
    /// </summary>
    public bool StopOnNonFiniteLoss { get; init; } = true;

    /// <summary>The seed of the per-epoch reseeding of the model's generators (dropout).</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The sample shape the model takes, when it differs from the data's but holds as many values
    /// (a spec with input [784] fed [1, 28, 28] images): each batch is reshaped, as a view, to
    /// [B, …InputShape].
    /// </summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    /// <summary>
    /// Whether the loss compares the outputs with the batch's inputs (as many values per sample, reshaped to the outputs'
    /// shape) instead of its targets: an
    /// autoencoder, which reconstructs its input. The data's targets then only label the samples: no accuracy is
    /// reported and the data's task is not checked against the objective's.
    /// </summary>
    public bool TargetIsInput { get; init; }

    /// <summary>Run at the start, after every batch's backward and step, after every epoch and at the end, in order.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = [];

    /// <summary>Figures computed over every epoch's training batches and over held-out data, beside the loss (and the accuracy a classification objective reports).</summary>
    public IReadOnlyList<IMetric> Metrics { get; init; } = [];

    public IProgress<TrainingEvent>? Progress { get; init; }

    /// <summary>
    /// The ranks of a data-parallel run (with <see cref="Distributed.DataParallel"/> among the callbacks and a sharded
    /// loader), or null. The epoch's training loss and accuracy are then summed over the ranks, so that every rank
    /// reports the figures of the whole epoch; <see cref="Metrics"/> stay this rank's own.
    /// </summary>
    public Distributed.ICommunicator? Communicator { get; init; }

    /// <summary>
    /// How long one <see cref="Fit"/> may train: once that much time has passed since it began, it stops before the
    /// next step (<see cref="StopReason.TimeLimit"/>); in a data-parallel run every rank stops once any rank's time is up. Null: no limit.
    /// </summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Every epoch's figures, including those before a resume.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>
    /// The last evaluation of held-out data in <see cref="Fit"/>: the data, the optimizer steps taken when it was made,
    /// and its figures; null before any.
    /// </summary>
    internal (Dataset Data, long Steps, Evaluation Result)? LastHeldOut { get; private set; }

    /// <summary>Epochs completed, including those before a resume.</summary>
    public int EpochsDone => _history.Count;

    /// <summary>Optimizer steps taken, including those before a resume.</summary>
    public long Steps { get; private set; }

    /// <summary>Continues a run: the epochs already done and the steps taken (the model, optimizer
    /// and schedules are restored by the caller from the same checkpoint).</summary>
    public void Resume(IEnumerable<EpochResult> history, long steps)
    {
        _history.Clear();
        _history.AddRange(history);
        Steps = steps;
    }

    /// <summary>
    /// What a checkpoint needs beyond the weights and the optimizer's state to continue this run
    /// exactly: {"epoch", "steps", "history", and "scheduler_step" and "plateau" when there are such schedules}.
    /// </summary>
    public JsonObject SaveState()
    {
        var state = new JsonObject
        {
            ["epoch"] = EpochsDone,
            ["steps"] = Steps,
            ["history"] = new JsonArray([.. History.Select(r => (JsonNode)HistoryLog.ToJson(r))]),
        };
        if (Scheduler is not null)
        {
            state["scheduler_step"] = Scheduler.StepCount;
        }
        if (Plateau is not null)
        {
            var p = Plateau.State;
            state["plateau"] = new JsonObject
            {
                ["best"] = double.IsFinite(p.Best) ? p.Best : null,
                ["bad_epochs"] = p.BadEpochs,
                ["cooldown_left"] = p.CooldownLeft,
                ["epochs"] = p.Epochs,
            };
        }
        return state;
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote: the history, the step count and the schedules' positions.</summary>
    /// <exception cref="InvalidDataException">A field this trainer needs is missing or malformed; <paramref name="source"/> names where the state came from.</exception>
    public void LoadState(JsonObject state, string source = "training state")
    {
        ArgumentNullException.ThrowIfNull(state);
        JsonNode Field(JsonNode node, string name) =>
            node[name] ?? throw new InvalidDataException($"{source}: no \"{name}\"");
        try
        {
            var history = Field(state, "history").AsArray().Select(node => HistoryLog.FromJson(node!)).ToList();
            long steps = Field(state, "steps").GetValue<long>();
            long? schedulerStep = Scheduler is null ? null : Field(state, "scheduler_step").GetValue<long>();
            PlateauState? plateau = null;
            if (Plateau is not null)
            {
                var p = Field(state, "plateau");
                double best = (double?)p["best"] ?? (Plateau.Options.Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity);
                plateau = new PlateauState(best, Field(p, "bad_epochs").GetValue<int>(), Field(p, "cooldown_left").GetValue<int>(), Field(p, "epochs").GetValue<long>());
            }
            Resume(history, steps);
            if (schedulerStep is { } step)
            {
                Scheduler!.Resume(step);
            }
            if (plateau is { } plateauState)
            {
                Plateau!.Resume(plateauState);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or ArgumentException or ArithmeticException)
        {
            // ArgumentException: a value out of range (a negative step count); its message's first line says which.
            throw new InvalidDataException($"{source}: malformed: {e.Message.Split('\n')[0].TrimEnd()}");
        }
    }

    /// <summary>Asks the loop to stop after the current epoch's callbacks (early stopping does).</summary>
    public void RequestStop(StopReason reason, string message) => _stopRequest ??= (reason, message);

    /// <summary>Trains until <paramref name="epochs"/> epochs are done in all (counting those before a resume).</summary>
    /// <param name="train">The training batches; its epoch e is the loader's Epoch(e − 1).</param>
    /// <param name="validation">Held-out data evaluated after each epoch, or null.</param>
    /// <param name="epochs">The total number of epochs.</param>
    /// <param name="cancellation">Stops the run between steps.</param>
    /// <exception cref="InvalidOperationException">The trainer has no optimizer.</exception>
    public FitResult Fit(DataLoader train, Dataset? validation, int epochs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var optimizer = Optimizer ?? throw new InvalidOperationException("Fit: this trainer has no optimizer; give one to the constructor to train.");
        CheckTask(train.Data);
        _stopRequest = null;
        var weights = Penalties.Weights(Model).ToList();
        var parameters = Model.Parameters().ToList();
        var generators = Model.Generators();
        var addedLosses = AddedLosses();
        long samples = 0;
        double computeSeconds = 0;
        var fitClock = Stopwatch.StartNew();
        foreach (var callback in Callbacks)
        {
            callback.OnTrainBegin(this);
        }
        while (EpochsDone < epochs && _stopRequest is null)
        {
            if (cancellation.IsCancellationRequested)
            {
                RequestStop(StopReason.Cancelled, $"cancelled after epoch {EpochsDone}");
                break;
            }
            int epoch = EpochsDone + 1;
            var epochClock = Stopwatch.StartNew();
            for (int i = 0; i < generators.Count; i++)
            {
                generators[i].Reseed(EpochSeed(Seed, epoch, i));
            }
            Model.Train();
            Progress?.Report(new EpochStarted(epoch, epochs, train.BatchCount));
            double lossSum = 0, epochCompute = 0;
            long epochSamples = 0;
            var accuracy = !TargetIsInput && Objective?.Task == TaskKind.Classification ? new ClassificationMetrics(train.Data.ClassNames) : null;
            ResetMetrics();
            int batchIndex = 0;
            bool abandoned = false;
            foreach (var batch in train.Epoch(epoch - 1))
            {
                if (cancellation.IsCancellationRequested)
                {
                    RequestStop(StopReason.Cancelled, $"cancelled during epoch {epoch}");
                    abandoned = true;
                    break;
                }
                if (TimeLimit is { } limit && OutOfTime(fitClock.Elapsed >= limit))
                {
                    RequestStop(StopReason.TimeLimit, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"time limit of {limit.TotalSeconds:0.#} s reached after {batchIndex} batches of epoch {epoch}"));
                    abandoned = true;
                    break;
                }
                long start = Stopwatch.GetTimestamp();
                int size = batch.Inputs.Shape[0];
                optimizer.ZeroGrad();
                var inputs = Shaped(batch.Inputs);
                var outputs = Model.Call(inputs);
                var loss = WithAddedLosses(_loss(outputs, TargetIsInput ? Ops.Reshape(inputs, outputs.Shape) : batch.Targets), addedLosses);
                float lossValue = loss.Item();
                if (StopOnNonFiniteLoss && !float.IsFinite(lossValue))
                {
                    RequestStop(StopReason.NonFiniteLoss,
                        $"the loss became {lossValue} at epoch {epoch}, batch {batchIndex + 1}; training stopped (lower the learning rate?)");
                    abandoned = true;
                    break;
                }
                var total = loss;
                if (L1 > 0)
                {
                    total += Penalties.L1(weights, L1);
                }
                if (L2 > 0)
                {
                    total += Penalties.L2(weights, L2);
                }
                if (batch.Share != 1)
                {
                    // A shard's objective weighted by its share of the global batch (the shares sum to 1): the ranks'
                    // gradients then sum to the gradient of the global batch's mean loss plus the penalty.
                    total *= (float)batch.Share;
                }
                total.Backward();
                var step = new BatchStep(epoch, batchIndex + 1, batch, outputs, lossValue);
                foreach (var callback in Callbacks)
                {
                    callback.OnAfterBackward(this, step);
                }
                if (ClipGradNorm is { } maxNorm)
                {
                    GradientClipping.ClipGradNorm(parameters, maxNorm);
                }
                optimizer.Step();
                Steps++;
                if (Interval == ScheduleInterval.Step)
                {
                    Scheduler?.Step();
                }
                foreach (var callback in Callbacks)
                {
                    callback.OnBatchEnd(this, step);
                }
                epochCompute += Stopwatch.GetElapsedTime(start).TotalSeconds;

                lossSum += (double)lossValue * size;
                epochSamples += size;
                accuracy?.Add(batch.Targets.Data, Objective!.Classes(outputs));
                UpdateMetrics(outputs, batch.Targets);
                batchIndex++;
                if (Progress is not null)
                {
                    double rate = epochSamples / Math.Max(epochCompute, 1e-9);
                    var eta = TimeSpan.FromSeconds(epochClock.Elapsed.TotalSeconds / batchIndex * (train.BatchCount - batchIndex));
                    Progress.Report(new BatchEnded(epoch, epochs, batchIndex, train.BatchCount, lossSum / epochSamples, accuracy?.Accuracy, rate, eta));
                }
            }
            samples += epochSamples;
            computeSeconds += epochCompute;
            if (abandoned)
            {
                break;
            }

            if (Communicator is not null)
            {
                (lossSum, epochSamples) = SumOverRanks(lossSum, epochSamples, accuracy);
            }
            double learningRate = optimizer.ParamGroups[0].Lr;
            var trainMetrics = MetricValues("");
            foreach (var figures in Callbacks.OfType<IEpochFigures>())
            {
                trainMetrics = Merge(trainMetrics, figures.TakeEpochFigures(), "");
            }
            var held = validation is null ? null : Evaluate(validation);
            LastHeldOut = held is null ? null : (validation!, Steps, held);
            double trainLoss = lossSum / epochSamples;
            var result = new EpochResult(epoch, trainLoss, accuracy?.Accuracy, held?.Loss, held?.Classification?.Accuracy,
                learningRate, epochClock.Elapsed.TotalSeconds, epochSamples / Math.Max(epochCompute, 1e-9),
                Merge(trainMetrics, held?.Metrics, "val_"));
            _history.Add(result);
            if (Interval == ScheduleInterval.Epoch)
            {
                Scheduler?.Step();
            }
            Plateau?.Step(held?.Loss ?? trainLoss);
            foreach (var callback in Callbacks)
            {
                callback.OnEpochEnd(this, result);
            }
            Progress?.Report(new EpochEnded(result, epochs));
        }
        if (_stopRequest is { } stop)
        {
            Progress?.Report(new TrainingStopped(stop.Reason, stop.Message));
        }
        foreach (var callback in Callbacks)
        {
            callback.OnTrainEnd(this);
        }
        return new FitResult(_history.ToArray(), _stopRequest?.Reason ?? StopReason.Completed, _stopRequest?.Message,
            samples / Math.Max(computeSeconds, 1e-9));
    }

    /// <summary>
    /// The seed of generator <paramref name="index"/> of the model in <paramref name="epoch"/>; generator 0 gets
    /// seed ⊕ (φ·2⁶⁴)·epoch, the others that value mixed with their index.
    /// </summary>
    internal static ulong EpochSeed(ulong seed, int epoch, int index) =>
        seed ^ (0x9E3779B97F4A7C15UL * (ulong)epoch) ^ (0xD1B54A32D192ED03UL * (ulong)index);

    /// <summary>The model's loss and metrics on <paramref name="data"/>, in evaluation mode, without recording a graph.</summary>
    public Evaluation Evaluate(Dataset data, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckTask(data);
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var _ = Graph.NoGrad();
            var classification = !TargetIsInput && Objective?.Task == TaskKind.Classification ? new ClassificationMetrics(data.ClassNames) : null;
            var regression = !TargetIsInput && Objective?.Task == TaskKind.Regression ? new RegressionMetrics() : null;
            var addedLosses = AddedLosses();
            ResetMetrics();
            double lossSum = 0;
            foreach (var batch in new DataLoader(data, batchSize))
            {
                var inputs = Shaped(batch.Inputs);
                var outputs = Model.Call(inputs);
                lossSum += (double)WithAddedLosses(_loss(outputs, TargetIsInput ? Ops.Reshape(inputs, outputs.Shape) : batch.Targets), addedLosses).Item() * batch.Inputs.Shape[0];
                classification?.Add(batch.Targets.Data, Objective!.Classes(outputs));
                regression?.Add(outputs.Data, batch.Targets.Data, data.TargetWidth);
                UpdateMetrics(outputs, batch.Targets);
            }
            return new Evaluation(lossSum / data.Count, data.Count, classification, regression, MetricValues(""));
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>The raw outputs for <paramref name="inputs"/> [N, …sample shape], in evaluation mode, batch by batch.</summary>
    public Tensor Predict(Tensor inputs, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var _ = Graph.NoGrad();
            int n = inputs.Shape[0];
            var parts = new List<Tensor>();
            for (int start = 0; start < n; start += batchSize)
            {
                parts.Add(Model.Call(Shaped(Ops.Slice(inputs, 0, start, Math.Min(n, start + batchSize)))));
            }
            return parts.Count == 1 ? parts[0] : Ops.Concat(parts, 0);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>
    /// Whether to stop for the time limit before the next step: this process's clock alone, or in a data-parallel run
    /// whether any rank's has run out, so that every rank stops at the same step (one that stopped alone would leave
    /// the others waiting in the next all-reduce until their timeout). One all-reduce of a number per step.
    /// </summary>
    private bool OutOfTime(bool here)
    {
        if (Communicator is null)
        {
            return here;
        }
        var votes = new double[] { here ? 1 : 0 };
        Communicator.AllReduceSum(votes);
        return votes[0] > 0;
    }

    /// <summary>The epoch's loss sum and sample count over every rank, and the accuracy's counts summed in place.</summary>
    private (double LossSum, long Samples) SumOverRanks(double lossSum, long samples, ClassificationMetrics? accuracy)
    {
        var counts = accuracy?.Confusion;
        int classes = counts?.GetLength(0) ?? 0;
        var values = new double[2 + classes * classes];
        (values[0], values[1]) = (lossSum, samples);
        for (int i = 0; i < classes * classes; i++)
        {
            values[2 + i] = counts![i / classes, i % classes];
        }
        Communicator!.AllReduceSum(values);
        if (accuracy is not null)
        {
            for (int i = 0; i < classes * classes; i++)
            {
                counts![i / classes, i % classes] = (long)values[2 + i];
            }
            accuracy.Reset(counts!);
        }
        return (values[0], (long)values[1]);
    }

    private void ResetMetrics()
    {
        foreach (var metric in Metrics)
        {
            metric.Reset();
        }
    }

    private void UpdateMetrics(Tensor outputs, Tensor targets)
    {
        foreach (var metric in Metrics)
        {
            metric.Update(outputs, targets);
        }
    }

    private Dictionary<string, double>? MetricValues(string prefix) =>
        Metrics.Count == 0 ? null : Metrics.ToDictionary(metric => prefix + metric.Name, metric => metric.Value);

    private static Dictionary<string, double>? Merge(Dictionary<string, double>? train, IReadOnlyDictionary<string, double>? held, string prefix)
    {
        if (held is null)
        {
            return train;
        }
        var merged = train ?? [];
        foreach (var (name, value) in held)
        {
            merged[prefix + name] = value;
        }
        return merged;
    }

    /// <summary>The model's modules that add terms to the loss (<see cref="IAddsLoss"/>), with any stale term cleared.</summary>
    private IAddsLoss[] AddedLosses()
    {
        var modules = Model.Modules().OfType<IAddsLoss>().ToArray();
        foreach (var module in modules)
        {
            module.TakeAddedLoss();
        }
        return modules;
    }

    /// <summary>The loss plus the terms the modules added during the forward pass (a VAE's KL divergence).</summary>
    private static Tensor WithAddedLosses(Tensor loss, IAddsLoss[] modules)
    {
        foreach (var module in modules)
        {
            if (module.TakeAddedLoss() is { } term)
            {
                loss = Ops.Add(loss, term);
            }
        }
        return loss;
    }

    private Tensor Shaped(Tensor inputs) =>
        InputShape is null ? inputs : Ops.Reshape(inputs, [inputs.Shape[0], .. InputShape]);

    private void CheckTask(Dataset data)
    {
        if (!TargetIsInput && Objective is not null && data.Task != Objective.Task)
        {
            throw new ArgumentException(
                $"the loss {Objective.Name} is for {Objective.Task.ToString().ToLowerInvariant()}, but the data is a {data.Task.ToString().ToLowerInvariant()} set");
        }
    }
}
