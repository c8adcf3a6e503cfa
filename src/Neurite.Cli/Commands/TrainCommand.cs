using System.CommandLine;
using System.Text.Json.Nodes;
using Neurite.Cli.Rendering;
using Neurite.Data;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;
using SerializedCheckpoint = Neurite.Serialization.Checkpoint;

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
        var checkpoint = request.Resume is null ? null : SerializedCheckpoint.Load(request.Resume);
        var spec = checkpoint?.Spec ?? ModelSpec.Load(request.Spec);
        int epochs = Positive(request.Epochs ?? spec.Epochs ?? 10, "--epochs");
        int batchSize = Positive(request.BatchSize ?? spec.BatchSize ?? 32, "--batch-size");
        ulong seed = request.Seed ?? spec.Seed ?? 0;
        if (request.Lr is { } rate && !(rate >= 0 && double.IsFinite(rate)))
        {
            throw new ArgumentException($"--lr: expected a finite non-negative number, got {rate}");
        }
        string source = request.Data
            ?? (spec.Data?.Source is { } fromSpec ? RelativeTo(Path.GetDirectoryName(Path.GetFullPath(request.Spec))!, fromSpec) : null)
            ?? throw new ArgumentException("no data: pass --data SOURCE or set data.source in the spec");
        string modelPath = request.Out ?? Path.ChangeExtension(Path.GetFileName(request.Spec), ".safetensors");
        string stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath));

        var lossSpec = spec.Loss;
        var prepared = DataPreparation.ForTraining(spec, source, seed, lossSpec is null ? null : lossSpec.Objective().Task);
        var objective = lossSpec is null
            ? Objective.FromName(prepared.Train.Task == TaskKind.Classification ? "cross_entropy" : "mse")
            : lossSpec.Objective();
        var inputShape = DataPreparation.InputShape(spec, prepared.Train);
        DataPreparation.CheckOutputs(spec, prepared.Train, objective);

        var model = spec.Build(new Generator(seed));
        if (request.Init is not null)
        {
            ModelFile.LoadWeights(request.Init, model);
        }
        var optimizer = spec.Optimizer?.Build(model.Parameters()) ?? new Adam(model.Parameters());
        if (request.Lr is { } lrOverride)
        {
            foreach (var group in optimizer.ParamGroups)
            {
                group.Lr = lrOverride;
            }
        }
        var augmentation = spec.Data?.Augment is { } a
            ? new Augmentation { MaxShift = a.Shift, FlipProbability = a.Flip ? 0.5f : 0, NoiseStd = (float)a.Noise }
            : null;
        bool shuffle = !request.NoShuffle && spec.Data?.Shuffle != false;
        var loader = new DataLoader(prepared.Train, batchSize, shuffle, seed, spec.Data?.DropLast ?? false, augmentation);
        var (scheduler, interval, plateau) = ScheduleBuilder.Build(spec.Schedule, optimizer, epochs, loader.BatchCount);


        void SaveCheckpoint(Trainer t, string path) => SerializedCheckpoint.Save(path, spec, t.Model, t.Optimizer, TrainingState(t, scheduler, plateau));
        var callbacks = new List<ITrainingCallback>
        {
            new ModelCheckpoint(SaveCheckpoint, stem + ".last.ckpt.safetensors", stem + ".best.ckpt.safetensors"),
            new HistoryLog(stem + ".history.csv"),
        };
        if (spec.EarlyStopping is { } stopping)
        {
            callbacks.Insert(0, new EarlyStopping(stopping.Patience, stopping.MinDelta, stopping.RestoreBest));
        }
        var progress = new TrainingProgress(console, quiet: request.Json);
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
            Callbacks = callbacks,
            Progress = progress,
        };
        if (checkpoint is not null)
        {
            checkpoint.Restore(model, optimizer);
            Resume(trainer, checkpoint.Training, scheduler, plateau);
        }

        var fit = progress.Run(() => trainer.Fit(loader, prepared.HeldOut, epochs, console.Cancellation));
        if (fit.Reason == StopReason.NonFiniteLoss)
        {
            throw new InvalidOperationException($"{fit.Message}; the last good checkpoint is {stem}.last.ckpt.safetensors");
        }
        var test = prepared.Test ?? prepared.Validation;
        var evaluation = test is null ? null : trainer.Evaluate(test);
        var metadata = new Dictionary<string, string>();
        if (prepared.Preprocessor is not null)
        {
            metadata["neurite.preprocessing"] = prepared.Preprocessor.ToJson().ToJsonString();
        }
        if (prepared.Train.FeatureNames is { } featureNames)
        {
            metadata["neurite.features"] = new JsonArray([.. featureNames.Select(name => (JsonNode)name)]).ToJsonString();
        }
        if (prepared.Train.Task == TaskKind.Classification)
        {
            metadata["neurite.classes"] = new JsonArray([.. prepared.Train.ClassNames.Select(name => (JsonNode)name)]).ToJsonString();
        }
        ModelFile.Save(modelPath, model, spec, metadata);
        string reportPath = stem + ".report.html";
        HtmlReport.Write(reportPath, spec, fit, evaluation, prepared.Train.ClassNames);

        var last = fit.History.Count == 0 ? null : fit.History[^1];
        var result = new JsonObject
        {
            ["epochs"] = trainer.EpochsDone,
            ["steps"] = trainer.Steps,
            ["train_loss"] = last?.TrainLoss,
            ["train_accuracy"] = last?.TrainAccuracy,
            ["samples_per_second"] = Math.Round(fit.SamplesPerSecond, 1),
            ["model"] = modelPath,
            ["report"] = reportPath,
            ["stopped"] = fit.Reason.ToString().ToLowerInvariant(),
        };
        if (evaluation is not null)
        {
            result["test_loss"] = evaluation.Loss;
            result["test_accuracy"] = evaluation.Classification?.Accuracy;
        }
        if (request.Json)
        {
            console.Out.WriteLine(result.ToJsonString());
        }
        else
        {
            Tables.TrainingResult(console, fit, evaluation, modelPath, reportPath);
        }
        return 0;
    }

    /// <summary>A file source written in a spec (a CSV path, idx:IMAGES,LABELS) is relative to the spec's folder; names are left alone.</summary>
    private static string RelativeTo(string specDirectory, string source)
    {
        string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(specDirectory, path);
        if (source.StartsWith("idx:", StringComparison.Ordinal))
        {
            return "idx:" + string.Join(',', source[4..].Split(',').Select(Resolve));
        }
        return source.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? Resolve(source) : source;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name}: expected a positive integer, got {value}");

    /// <summary>What a checkpoint needs beyond weights and optimizer state to continue exactly.</summary>
    private static JsonObject TrainingState(Trainer trainer, LRScheduler? scheduler, ReduceLROnPlateau? plateau)
    {
        var state = new JsonObject
        {
            ["epoch"] = trainer.EpochsDone,
            ["steps"] = trainer.Steps,
            ["history"] = new JsonArray([.. trainer.History.Select(r => (JsonNode)HistoryLog.ToJson(r))]),
        };
        if (scheduler is not null)
        {
            state["scheduler_step"] = scheduler.StepCount;
        }
        if (plateau is not null)
        {
            var p = plateau.State;
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

    private static void Resume(Trainer trainer, JsonObject state, LRScheduler? scheduler, ReduceLROnPlateau? plateau)
    {
        var history = Field(state, "history").AsArray().Select(node => HistoryLog.FromJson(node!)).ToList();
        trainer.Resume(history, Field(state, "steps").GetValue<long>());
        scheduler?.Resume(Field(state, "scheduler_step").GetValue<long>());
        if (plateau is not null)
        {
            var p = Field(state, "plateau");
            double best = (double?)p["best"] ?? (plateau.Options.Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity);
            plateau.Resume(new PlateauState(best, Field(p, "bad_epochs").GetValue<int>(), Field(p, "cooldown_left").GetValue<int>(), Field(p, "epochs").GetValue<long>()));
        }
    }

    private static JsonNode Field(JsonNode node, string name) =>
        node[name] ?? throw new InvalidDataException($"--resume: the checkpoint's training state (neurite.training) has no \"{name}\"");
}
