namespace Neurite.Training;

/// <summary>One epoch's figures, as the history keeps them.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="TrainLoss">The mean loss over the epoch's training batches (weighted by batch size).</param>
/// <param name="TrainAccuracy">Accuracy over the epoch's training batches (classification).</param>
/// <param name="ValidationLoss">The loss on the held-out data, when there is some.</param>
/// <param name="ValidationAccuracy">Accuracy on the held-out data (classification).</param>
/// <param name="LearningRate">The first group's learning rate during the epoch's last step.</param>
/// <param name="Seconds">Wall time of the epoch, evaluation included.</param>
/// <param name="SamplesPerSecond">Training throughput: samples over the time spent in forward,
/// backward and the optimizer step (loading data and evaluating excluded).</param>
/// <param name="Metrics">The trainer's <see cref="Trainer.Metrics"/> over the training batches (by name) and held-out data ("val_" + name), and the figures of callbacks that keep their own (<see cref="IEpochFigures"/>); null without any.</param>
public sealed record EpochResult(
    int Epoch, double TrainLoss, double? TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, double Seconds, double SamplesPerSecond, IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>Why <see cref="Trainer.Fit"/> returned.</summary>
public enum StopReason
{
    /// <summary>All the epochs ran.</summary>
    Completed,

    /// <summary>Early stopping saw no improvement for its patience.</summary>
    EarlyStopping,

    /// <summary>The loss became NaN or infinite; the epoch in progress was abandoned.</summary>
    NonFiniteLoss,

    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,

    /// <summary>The trainer's <see cref="Trainer.TimeLimit"/> ran out; the epoch in progress was left unfinished (its steps kept, its figures not recorded).</summary>
    TimeLimit,
}

/// <summary>What <see cref="Trainer.Fit"/> did.</summary>
/// <param name="History">Every epoch so far, including those before a resume.</param>
/// <param name="Reason">Why it stopped.</param>
/// <param name="Message">A one-line explanation when it stopped early.</param>
/// <param name="SamplesPerSecond">Training throughput over this call's epochs.</param>
public sealed record FitResult(IReadOnlyList<EpochResult> History, StopReason Reason, string? Message, double SamplesPerSecond);

/// <summary>
/// Progress reported while training, for a front end to render (the CLI's progress bar, the
/// playground's stream). The training layer never writes to the console itself.
/// </summary>
public abstract record TrainingEvent;

/// <summary>An epoch begins.</summary>
public sealed record EpochStarted(int Epoch, int Epochs, int Batches) : TrainingEvent;

/// <summary>A training step finished.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="Epochs">The epochs of the whole run.</param>
/// <param name="Batch">The batches done in this epoch.</param>
/// <param name="Batches">The batches in an epoch.</param>
/// <param name="Loss">The running mean loss of the epoch so far.</param>
/// <param name="Accuracy">The running accuracy of the epoch so far (classification).</param>
/// <param name="SamplesPerSecond">Training throughput of the epoch so far.</param>
/// <param name="Eta">Time left in this epoch at the current pace.</param>
public sealed record BatchEnded(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double? Accuracy, double SamplesPerSecond, TimeSpan Eta) : TrainingEvent;

/// <summary>An epoch finished (with its evaluation).</summary>
public sealed record EpochEnded(EpochResult Result, int Epochs) : TrainingEvent;

/// <summary>Early stopping put back the weights of an earlier epoch, whose figures these are, when training ended.</summary>
public sealed record WeightsRestored(EpochResult Epoch) : TrainingEvent;

/// <summary>Training stopped before its last epoch.</summary>
public sealed record TrainingStopped(StopReason Reason, string Message) : TrainingEvent;
