using System.Globalization;
using Neurite.Training;
using Spectre.Console;

namespace Neurite.Cli.Rendering;

/// <summary>
/// Renders training events: on a terminal, a Spectre.Console progress bar for the epoch (loss,
/// accuracy, samples/s, ETA) above which each finished epoch leaves a line; elsewhere, one line per
/// epoch; then why training stopped early and which weights were restored; with --json, nothing.
/// </summary>
internal sealed class TrainingProgress(Terminal console, bool quiet) : IProgress<TrainingEvent>
{
    private ProgressTask? _task;

    /// <summary>Runs <paramref name="train"/> inside the live progress display when there is one.</summary>
    public T Run<T>(Func<T> train)
    {
        if (quiet || !console.Interactive)
        {
            return train();
        }
        return console.Ansi.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                _task = context.AddTask("training", maxValue: 1);
                return train();
            });
    }

    public void Report(TrainingEvent value)
    {
        if (quiet)
        {
            return;
        }
        switch (value)
        {
            case EpochStarted started when _task is not null:
                _task.MaxValue = started.Batches;
                _task.Value = 0;
                _task.Description = $"epoch {started.Epoch}/{started.Epochs}";
                break;
            case BatchEnded batch when _task is not null:
                _task.Value = batch.Batch;
                _task.Description = Markup.Escape(
                    Invariant($"epoch {batch.Epoch}/{batch.Epochs}  loss {batch.Loss:0.0000}") +
                    (batch.Accuracy is { } a ? Invariant($"  acc {a:P1}") : "") +
                    Invariant($"  {batch.SamplesPerSecond:N0} samples/s  ETA {batch.Eta:mm\\:ss}"));
                break;
            case EpochEnded ended:
                string line = EpochLine(ended.Result, ended.Epochs);
                if (_task is null)
                {
                    console.Out.WriteLine(line);
                }
                else
                {
                    console.Ansi.WriteLine(line);
                }
                break;
            case WeightsRestored restored:
                console.Out.WriteLine(Invariant($"early stopping: restored the weights of epoch {restored.Epoch.Epoch}, the best (") +
                    (restored.Epoch.ValidationLoss is { } v ? Invariant($"val_loss {v:0.0000}") : Invariant($"loss {restored.Epoch.TrainLoss:0.0000}")) + ")");
                break;
            case TrainingStopped stopped:
                console.Out.WriteLine(stopped.Message);
                break;
        }
    }

    public static string EpochLine(EpochResult r, int epochs) =>
        Invariant($"epoch {r.Epoch,3}/{epochs}  loss {r.TrainLoss:0.0000}") +
        (r.TrainAccuracy is { } a ? Invariant($"  acc {a:P1}") : "") +
        (r.ValidationLoss is { } v ? Invariant($"  val_loss {v:0.0000}") : "") +
        (r.ValidationAccuracy is { } va ? Invariant($"  val_acc {va:P1}") : "") +
        string.Concat((r.Metrics ?? new Dictionary<string, double>()).Select(m => Invariant($"  {m.Key} {m.Value:0.0000}"))) +
        Invariant($"  lr {r.LearningRate:G4}  {r.SamplesPerSecond:N0} samples/s  {r.Seconds:0.0}s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
