using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.IO;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// Something that runs with the fit loop: at its start, in every step (after backward, before the
/// optimizer step; and after the step), after every epoch, and at its end. Implement what you need.
/// </summary>
/// <remarks>
/// <see cref="OnAfterBackward"/> sees the gradients before the optimizer does: the place to read
/// gradient norms, all-reduce gradients across processes, or train a second network on the same batch.
/// </remarks>
public interface ITrainingCallback
{
    void OnTrainBegin(Trainer trainer)
    {
    }

    /// <summary>After the batch's backward pass (every parameter's Grad is set) and before gradient clipping and the optimizer step.</summary>
    void OnAfterBackward(Trainer trainer, BatchStep step)
    {
    }

    /// <summary>After the optimizer step (and a per-step schedule) of the batch.</summary>
    void OnBatchEnd(Trainer trainer, BatchStep step)
    {
    }

    void OnEpochEnd(Trainer trainer, EpochResult result)
    {
    }

    void OnTrainEnd(Trainer trainer)
    {
    }
}

/// <summary>A callback with figures of its own for each epoch's history row, beside the metrics (a data-parallel run's communication time).</summary>
public interface IEpochFigures
{
    /// <summary>The figures of the epoch that just ended, by name; the next epoch's start from zero.</summary>
    IReadOnlyDictionary<string, double> TakeEpochFigures();
}

/// <summary>One training step, as the per-batch callbacks see it.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="Batch">The batch within the epoch, 1-based.</param>
/// <param name="Data">The batch's inputs and targets.</param>
/// <param name="Outputs">The model's outputs for the batch (part of the graph until the next step).</param>
/// <param name="Loss">The batch's loss, before any penalty.</param>
public sealed record BatchStep(int Epoch, int Batch, Batch Data, Tensor Outputs, float Loss);

/// <summary>
/// A figure computed over a pass's batches beside the loss (as a Keras metric): reset before each
/// pass, updated with each batch's outputs and targets, then read. The trainer reports it over the
/// training batches and, as "val_" + <see cref="Name"/>, over held-out data.
/// </summary>
public interface IMetric
{
    /// <summary>The name under which the history keeps the value, e.g. "mae".</summary>
    string Name { get; }

    /// <summary>Forgets every batch seen.</summary>
    void Reset();

    /// <summary>Adds a batch: the model's outputs and the targets.</summary>
    void Update(Tensor outputs, Tensor targets);

    /// <summary>The figure over the batches since the last <see cref="Reset"/>.</summary>
    double Value { get; }
}

/// <summary>The loss that early stopping and "best" checkpoints watch (Keras's monitor): validation loss when there is held-out data, else training loss.</summary>
public static class MonitoredLoss
{
    public static double Of(EpochResult result) => result.ValidationLoss ?? result.TrainLoss;
}

/// <summary>
/// Early stopping, as Keras's: stops when the monitored loss has not fallen by more than
/// <see cref="MinDelta"/> below the best for <see cref="Patience"/> epochs in a row; with
/// <see cref="RestoreBest"/>, the weights of the best epoch are put back when training ends.
/// </summary>
public sealed class EarlyStopping : ITrainingCallback
{
    private Dictionary<string, Tensor>? _bestState;
    private int _wait;

    public EarlyStopping(int patience, double minDelta = 0, bool restoreBest = true)
    {
        if (patience < 1)
        {
            throw new ArgumentException($"EarlyStopping: patience must be at least 1; got {patience}.", nameof(patience));
        }
        if (!(minDelta >= 0 && double.IsFinite(minDelta)))
        {
            throw new ArgumentException($"EarlyStopping: min_delta must be finite and non-negative; got {minDelta.ToString(CultureInfo.InvariantCulture)}.", nameof(minDelta));
        }
        (Patience, MinDelta, RestoreBest) = (patience, minDelta, restoreBest);
    }

    public int Patience { get; }

    public double MinDelta { get; }

    public bool RestoreBest { get; }

    /// <summary>The best monitored loss so far and its epoch (0 before the first).</summary>
    public (double Loss, int Epoch) Best { get; private set; } = (double.PositiveInfinity, 0);

    public void OnTrainBegin(Trainer trainer)
    {
        // After a resume, the best so far is in the history.
        foreach (var past in trainer.History)
        {
            Observe(trainer, past, snapshot: false);
        }
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        Observe(trainer, result, snapshot: RestoreBest);
        if (_wait >= Patience)
        {
            trainer.RequestStop(StopReason.EarlyStopping, string.Create(CultureInfo.InvariantCulture,
                $"early stopping: no improvement of the loss for {Patience} epochs; best {Best.Loss:G6} at epoch {Best.Epoch}"));
        }
    }

    /// <summary>The epoch whose weights were put back when training ended (<see cref="RestoreBest"/>), or null.</summary>
    public int? RestoredEpoch { get; private set; }

    public void OnTrainEnd(Trainer trainer)
    {
        RestoredEpoch = null;
        if (RestoreBest && _bestState is not null && Best.Epoch != trainer.EpochsDone)
        {
            trainer.Model.LoadStateDict(_bestState);
            RestoredEpoch = Best.Epoch;
            if (Best.Epoch <= trainer.History.Count)
            {
                trainer.Progress?.Report(new WeightsRestored(trainer.History[Best.Epoch - 1]));
            }
        }
    }

    private void Observe(Trainer trainer, EpochResult result, bool snapshot)
    {
        double loss = MonitoredLoss.Of(result);
        if (loss < Best.Loss - MinDelta)
        {
            Best = (loss, result.Epoch);
            _wait = 0;
            if (snapshot)
            {
                _bestState = trainer.Model.StateDict().ToDictionary(entry => entry.Key, entry => entry.Value.Clone());
            }
        }
        else
        {
            _wait++;
        }
    }
}

/// <summary>
/// Writes the history after every epoch, as CSV (a header row, then one row an epoch) or, for a
/// path ending in .jsonl, JSON lines. The whole file is rewritten through a temporary file and
/// renamed, so it is never half-written.
/// </summary>
public sealed class HistoryLog(string path) : ITrainingCallback
{
    public string Path { get; } = path;

    public void OnEpochEnd(Trainer trainer, EpochResult result) => Write(Path, trainer.History);

    /// <summary>Writes <paramref name="history"/> to <paramref name="path"/>: CSV, or JSON lines for a <c>.jsonl</c> file.</summary>
    public static void Write(string path, IReadOnlyList<EpochResult> history)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(history);
        bool jsonLines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var text = new StringBuilder();
        // The metrics' columns follow the fixed ones, named as the first epoch names them.
        var metrics = history.Count > 0 && history[0].Metrics is { } named ? named.Keys.ToArray() : [];
        if (!jsonLines)
        {
            text.AppendLine(string.Join(",", ["epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second", .. metrics]));
        }
        foreach (var r in history)
        {
            if (jsonLines)
            {
                text.AppendLine(ToJson(r).ToJsonString());
            }
            else
            {
                text.AppendLine(string.Join(",", [r.Epoch.ToString(CultureInfo.InvariantCulture), Number(r.TrainLoss), Number(r.TrainAccuracy),
                    Number(r.ValidationLoss), Number(r.ValidationAccuracy), Number(r.LearningRate), Number(r.Seconds), Number(r.SamplesPerSecond),
                    .. metrics.Select(name => Number(r.Metrics is { } m && m.TryGetValue(name, out double v) ? v : null))]));
            }
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>One epoch as a JSON object with the CSV's column names, and the metrics' values under "metrics".</summary>
    public static JsonObject ToJson(EpochResult r)
    {
        var json = new JsonObject
        {
            ["epoch"] = r.Epoch,
            ["train_loss"] = r.TrainLoss,
            ["train_accuracy"] = r.TrainAccuracy,
            ["val_loss"] = r.ValidationLoss,
            ["val_accuracy"] = r.ValidationAccuracy,
            ["lr"] = r.LearningRate,
            ["seconds"] = r.Seconds,
            ["samples_per_second"] = r.SamplesPerSecond,
        };
        if (r.Metrics is { } metrics)
        {
            json["metrics"] = new JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
        }
        return json;
    }

    /// <summary>The epoch written by <see cref="ToJson"/>, read back.</summary>
    public static EpochResult FromJson(JsonNode node) => new(
        (int)node["epoch"]!, (double)node["train_loss"]!, (double?)node["train_accuracy"], (double?)node["val_loss"],
        (double?)node["val_accuracy"], (double)node["lr"]!, (double)node["seconds"]!, (double)node["samples_per_second"]!,
        node["metrics"]?.AsObject().ToDictionary(m => m.Key, m => (double)m.Value!));

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>
/// Saves a checkpoint after every epoch (the "last" one) and, when the monitored loss reaches a new
/// best, a "best" one. The saving itself is the caller's (a model file, a checkpoint with optimizer
/// state); it must write atomically, so that a run that fails later — a NaN loss, a crash — leaves
/// the last good checkpoint in place.
/// </summary>
public sealed class ModelCheckpoint(Action<Trainer, string> save, string lastPath, string? bestPath = null) : ITrainingCallback
{
    private double _best = double.PositiveInfinity;

    public string LastPath { get; } = lastPath;

    public string? BestPath { get; } = bestPath;

    public void OnTrainBegin(Trainer trainer)
    {
        foreach (var past in trainer.History)
        {
            _best = Math.Min(_best, MonitoredLoss.Of(past));
        }
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        // The best first: a run killed between the two resumes from the previous last checkpoint, replays this
        // epoch and writes the best again, so that the best checkpoint is never older than the last one says.
        double loss = MonitoredLoss.Of(result);
        if (BestPath is not null && loss < _best)
        {
            _best = loss;
            save(trainer, BestPath);
        }
        save(trainer, LastPath);
    }
}
