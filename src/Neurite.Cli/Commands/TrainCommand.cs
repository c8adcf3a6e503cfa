using System.CommandLine;
using System.Text.Json.Nodes;
using Neurite.Cli.Rendering;
using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Cli.Commands;

/// <summary>
/// <c>neurite train SPEC.json</c>: builds the spec's network, trains it on the data source with a
/// progress bar, and writes the model file, the last and best checkpoints, the history and an HTML
/// report beside the model.
/// </summary>
internal static class TrainCommand
{
    public static Command Build(Terminal console)
    {
        var spec = new Argument<string>("SPEC") { Description = "the model spec (JSON)" };
        var data = new Option<string?>("--data") { Description = "data source: a synthetic name (spirals, xor, …), fashion-mnist, a CSV path or idx:IMAGES,LABELS; default: the spec's data.source" };
        var epochs = new Option<int?>("--epochs") { Description = "epochs in all (default: the spec's, else 10)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "samples per step (default: the spec's, else 32)" };
        var lr = new Option<double?>("--lr") { Description = "learning rate, overriding the spec's" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of the data, the initialization, the shuffling and dropout (default: the spec's, else 0)" };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "take the training samples in order" };
        var init = new Option<string?>("--init") { Description = "initial weights: a safetensors file with PyTorch's names" };
        var resume = new Option<string?>("--resume") { Description = "continue from a checkpoint written by an earlier run" };
        var output = new Option<string?>("--out") { Description = "the model file to write (default: SPEC's name with .safetensors)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("train", "train the network a JSON spec describes")
        {
            spec, data, epochs, batchSize, lr, seed, noShuffle, init, resume, output, json,
        };
        command.SetAction(parse => Run(console, new Request(
            parse.GetRequiredValue(spec), parse.GetValue(data), parse.GetValue(epochs), parse.GetValue(batchSize),
            parse.GetValue(lr), parse.GetValue(seed), parse.GetValue(noShuffle), parse.GetValue(init),
            parse.GetValue(resume), parse.GetValue(output), parse.GetValue(json))));
        return command;
    }

    internal sealed record Request(
        string Spec, string? Data, int? Epochs, int? BatchSize, double? Lr, ulong? Seed, bool NoShuffle,
        string? Init, string? Resume, string? Out, bool Json);

    private static int Run(Terminal console, Request request)
    {
        var spec = request.Resume is null ? ModelSpec.Load(request.Spec) : null;
        var progress = new TrainingProgress(console, quiet: request.Json);
        var run = TrainingRun.Create(spec!, new RunOptions(
            request.Data, request.Epochs, request.BatchSize, request.Lr, request.Seed, request.NoShuffle, request.Init, request.Resume,
            request.Out ?? Path.ChangeExtension(Path.GetFileName(request.Spec), ".safetensors"),
            Path.GetDirectoryName(Path.GetFullPath(request.Spec))!), progress);
        var result = progress.Run(() => run.Execute(console.Cancellation));
        HtmlReport.Write(run.ReportPath, run.Spec, result.Fit, result.Test, run.Data.Train.ClassNames, run.Trainer, run.Data.Test ?? run.Data.Validation);

        var fit = result.Fit;
        var last = fit.History.Count == 0 ? null : fit.History[^1];
        var json = new JsonObject
        {
            ["epochs"] = run.Trainer.EpochsDone,
            ["steps"] = run.Trainer.Steps,
            ["train_loss"] = last?.TrainLoss,
            ["train_accuracy"] = last?.TrainAccuracy,
            ["samples_per_second"] = Math.Round(fit.SamplesPerSecond, 1),
            ["model"] = run.ModelPath,
            ["report"] = run.ReportPath,
            ["stopped"] = fit.Reason.ToString().ToLowerInvariant(),
        };
        if (result.Test is { } test)
        {
            json["test_loss"] = test.Loss;
            json["test_accuracy"] = test.Classification?.Accuracy;
        }
        if (request.Json)
        {
            console.Out.WriteLine(json.ToJsonString());
        }
        else
        {
            Tables.TrainingResult(console, fit, result.Test, run.ModelPath, run.ReportPath);
        }
        return 0;
    }
}
