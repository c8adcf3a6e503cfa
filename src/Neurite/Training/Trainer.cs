using System.Diagnostics;
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
public sealed record Evaluation(double Loss, long Samples, ClassificationMetrics? Classification, RegressionMetrics? Regression);

/// <summary>
/// The fit loop: for each epoch, each mini-batch runs forward, loss (plus any L1/L2 penalty on the
/// weight matrices), backward, optional gradient clipping and the optimizer step; then the held-out
/// data is evaluated, schedules step, callbacks run and progress is reported.
/// </summary>
/// <remarks>
/// Dropout draws from <see cref="Generator.Default"/>, which the trainer reseeds at the start of
/// each epoch from (<see cref="Seed"/>, epoch): the masks of an epoch do not depend on what ran
/// before, so a run resumed from a checkpoint repeats the uninterrupted one exactly.
/// </remarks>
public sealed class Trainer
{
    private readonly List<EpochResult> _history = [];
    private (StopReason Reason, string Message)? _stopRequest;

    public Trainer(Module model, Objective objective, Optimizer optimizer)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Objective = objective ?? throw new ArgumentNullException(nameof(objective));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
    }

    public Module Model { get; }

    public Objective Objective { get; }

    public Optimizer Optimizer { get; }

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

    /// <summary>The seed of the per-epoch dropout generator.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The sample shape the model takes, when it differs from the data's but holds as many values
    /// (a spec with input [784] fed [1, 28, 28] images): each batch is reshaped, as a view, to
    /// [B, …InputShape].
    /// </summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    /// <summary>Run at the end of every epoch, in order.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = [];

    public IProgress<TrainingEvent>? Progress { get; init; }

    /// <summary>Every epoch's figures, including those before a resume.</summary>
    public IReadOnlyList<EpochResult> History => _history;

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

    /// <summary>Asks the loop to stop after the current epoch's callbacks (early stopping does).</summary>
    public void RequestStop(StopReason reason, string message) => _stopRequest ??= (reason, message);

    /// <summary>Trains until <paramref name="epochs"/> epochs are done in all (counting those before a resume).</summary>
    /// <param name="train">The training batches; its epoch e is the loader's Epoch(e − 1).</param>
    /// <param name="validation">Held-out data evaluated after each epoch, or null.</param>
    /// <param name="epochs">The total number of epochs.</param>
    /// <param name="cancellation">Stops the run between steps.</param>
    public FitResult Fit(DataLoader train, Dataset? validation, int epochs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        CheckTask(train.Data);
        _stopRequest = null;
        var weights = Penalties.Weights(Model).ToList();
        var parameters = Model.Parameters().ToList();
        long samples = 0;
        double computeSeconds = 0;
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
            Generator.Default = new Generator(Seed ^ (0x9E3779B97F4A7C15UL * (ulong)epoch));
            Model.Train();
            Progress?.Report(new EpochStarted(epoch, epochs, train.BatchCount));
            double lossSum = 0, epochCompute = 0;
            long epochSamples = 0;
            var metrics = Objective.Task == TaskKind.Classification ? new ClassificationMetrics(train.Data.ClassNames) : null;
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
                long start = Stopwatch.GetTimestamp();
                int size = batch.Inputs.Shape[0];
                Optimizer.ZeroGrad();
                var outputs = Model.Call(Shaped(batch.Inputs));
                var loss = Objective.Loss(outputs, batch.Targets);
                float lossValue = loss.Item();
                if (!float.IsFinite(lossValue))
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
                total.Backward();
                if (ClipGradNorm is { } maxNorm)
                {
                    GradientClipping.ClipGradNorm(parameters, maxNorm);
                }
                Optimizer.Step();
                Steps++;
                if (Interval == ScheduleInterval.Step)
                {
                    Scheduler?.Step();
                }
                epochCompute += Stopwatch.GetElapsedTime(start).TotalSeconds;

                lossSum += (double)lossValue * size;
                epochSamples += size;
                metrics?.Add(batch.Targets.Data, Objective.Classes(outputs));
                batchIndex++;
                if (Progress is not null)
                {
                    double rate = epochSamples / Math.Max(epochCompute, 1e-9);
                    var eta = TimeSpan.FromSeconds(epochClock.Elapsed.TotalSeconds / batchIndex * (train.BatchCount - batchIndex));
                    Progress.Report(new BatchEnded(epoch, epochs, batchIndex, train.BatchCount, lossSum / epochSamples, metrics?.Accuracy, rate, eta));
                }
            }
            samples += epochSamples;
            computeSeconds += epochCompute;
            if (abandoned)
            {
                break;
            }

            double learningRate = Optimizer.ParamGroups[0].Lr;
            var held = validation is null ? null : Evaluate(validation);
            double trainLoss = lossSum / epochSamples;
            var result = new EpochResult(epoch, trainLoss, metrics?.Accuracy, held?.Loss, held?.Classification?.Accuracy,
                learningRate, epochClock.Elapsed.TotalSeconds, epochSamples / Math.Max(epochCompute, 1e-9));
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
        foreach (var callback in Callbacks)
        {
            callback.OnTrainEnd(this);
        }
        if (_stopRequest is { } stop)
        {
            Progress?.Report(new TrainingStopped(stop.Reason, stop.Message));
        }
        return new FitResult(_history.ToArray(), _stopRequest?.Reason ?? StopReason.Completed, _stopRequest?.Message,
            samples / Math.Max(computeSeconds, 1e-9));
    }

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
            var classification = Objective.Task == TaskKind.Classification ? new ClassificationMetrics(data.ClassNames) : null;
            var regression = Objective.Task == TaskKind.Regression ? new RegressionMetrics() : null;
            double lossSum = 0;
            foreach (var batch in new DataLoader(data, batchSize))
            {
                var outputs = Model.Call(Shaped(batch.Inputs));
                lossSum += (double)Objective.Loss(outputs, batch.Targets).Item() * batch.Inputs.Shape[0];
                classification?.Add(batch.Targets.Data, Objective.Classes(outputs));
                regression?.Add(outputs.Data, batch.Targets.Data, data.TargetWidth);
            }
            return new Evaluation(lossSum / data.Count, data.Count, classification, regression);
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

    private Tensor Shaped(Tensor inputs) =>
        InputShape is null ? inputs : Ops.Reshape(inputs, [inputs.Shape[0], .. InputShape]);

    private void CheckTask(Dataset data)
    {
        if (data.Task != Objective.Task)
        {
            throw new ArgumentException(
                $"the loss {Objective.Name} is for {Objective.Task.ToString().ToLowerInvariant()}, but the data is a {data.Task.ToString().ToLowerInvariant()} set");
        }
    }
}
