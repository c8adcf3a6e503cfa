using System.CommandLine;
using System.Text.Json.Nodes;
using Neurite.Cli.Rendering;
using Neurite.Distributed;
using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Cli.Commands;

/// <summary>
/// <c>neurite train SPEC.json</c>: builds the spec's network, trains it on the data source with a
/// progress bar, and writes the model file, the last and best checkpoints, the history and an HTML
/// report beside the model: in runs/NAME/ (NAME the spec's file name) unless --out says where.
/// </summary>
internal static class TrainCommand
{
    public static Command Build(Terminal console)
    {
        var spec = new Argument<string>("SPEC") { Description = "the model spec (JSON)" };
        var data = new Option<string?>("--data") { Description = "data source: a synthetic name (spirals, xor, …), fashion-mnist, a CSV path, idx:IMAGES,LABELS or text:PATH,seq=N; default: the spec's data.source" };
        var epochs = new Option<int?>("--epochs") { Description = "epochs in all (default: the spec's, else 10)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "samples per step (default: the spec's, else 32)" };
        var lr = new Option<double?>("--lr") { Description = "learning rate, overriding the spec's" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of the data, the initialization, the shuffling and dropout (default: the spec's, else 0)" };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "take the training samples in order" };
        var init = new Option<string?>("--init") { Description = "initial weights: a safetensors file with PyTorch's names" };
        var resume = new Option<string?>("--resume") { Description = "continue from a checkpoint written by an earlier run" };
        var timeLimit = new Option<double?>("--time-limit") { Description = "stop training after this many seconds (then evaluate and write the model as usual)" };
        var output = new Option<string?>("--out") { Description = "the model file to write, the other files beside it (default: runs/NAME/NAME.safetensors, NAME the spec's file name)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var distributed = new Option<bool>("--distributed") { Description = "data-parallel over the ranks mpirun started: --batch-size per rank, rank 0 writes and prints" };
        var bucket = new Option<double?>("--bucket-mb") { Description = "with --distributed: MiB of gradients per all-reduce (default 25, as PyTorch's DDP)" };
        var syncBatchNorm = new Option<bool>("--sync-batch-norm") { Description = "with --distributed: batch norm uses the statistics of the global batch, summed over the ranks (torch.nn.SyncBatchNorm)" };
        var command = new Command("train", "train the network a JSON spec describes")
        {
            spec, data, epochs, batchSize, lr, seed, noShuffle, init, resume, timeLimit, output, json, distributed, bucket, syncBatchNorm,
        };
        command.SetAction(parse => Run(console, new Request(
            parse.GetRequiredValue(spec), parse.GetValue(data), parse.GetValue(epochs), parse.GetValue(batchSize),
            parse.GetValue(lr), parse.GetValue(seed), parse.GetValue(noShuffle), parse.GetValue(init),
            parse.GetValue(resume), parse.GetValue(timeLimit), parse.GetValue(output), parse.GetValue(json), parse.GetValue(distributed),
            parse.GetValue(bucket), parse.GetValue(syncBatchNorm))));
        return command;
    }

    internal sealed record Request(
        string Spec, string? Data, int? Epochs, int? BatchSize, double? Lr, ulong? Seed, bool NoShuffle,
        string? Init, string? Resume, double? TimeLimit, string? Out, bool Json, bool Distributed = false, double? BucketMegabytes = null,
        bool SyncBatchNorm = false);

    /// <summary>Where a run writes without --out: runs/NAME/NAME.safetensors in the current folder, NAME the spec's file name.</summary>
    internal static string DefaultModelPath(string specPath)
    {
        string name = Path.GetFileNameWithoutExtension(specPath);
        return Path.Combine("runs", name, name + ".safetensors");
    }

    private static int Run(Terminal console, Request request)
    {
        if (request.TimeLimit is { } seconds && !(seconds > 0 && double.IsFinite(seconds)))
        {
            throw new ArgumentException($"--time-limit: expected a positive number of seconds, got {seconds}");
        }
        if (!request.Distributed)
        {
            if (request.SyncBatchNorm || request.BucketMegabytes is not null)
            {
                throw new ArgumentException($"{(request.SyncBatchNorm ? "--sync-batch-norm" : "--bucket-mb")} needs --distributed (under mpirun)");
            }
            return Train(console, request, null);
        }
        if (request.BucketMegabytes is { } megabytes && !(megabytes > 0 && megabytes <= 1024))
        {
            throw new ArgumentException($"--bucket-mb: expected a number of MiB in (0, 1024], got {megabytes}");
        }
        using var communicator = new MpiCommunicator();
        try
        {
            // Rank 0 alone prints and writes; the others train in silence.
            var terminal = communicator.Rank == 0 ? console : new Terminal(TextWriter.Null, console.Error, false, console.Cancellation);
            return Train(terminal, request, communicator);
        }
        catch (Exception e) when (communicator.Size > 1)
        {
            // The other ranks wait in a collective this rank will never join: end them all, with the reason.
            communicator.Abort($"neurite: rank {communicator.Rank} of {communicator.Size}: {NeuriteCommandLine.Describe(e)}");
            throw;
        }
    }

    private static int Train(Terminal console, Request request, ICommunicator? communicator)
    {
        var spec = request.Resume is null ? TrainingRun.LoadSpec(request.Spec, request.Data) : null;
        string modelPath = request.Out ?? DefaultModelPath(request.Spec);
        var progress = new TrainingProgress(console, quiet: request.Json);
        if (spec?.Gan is not null || (request.Resume is { } checkpoint && ResumesGan(checkpoint)))
        {
            return TrainGan(console, request, spec!, modelPath, progress, communicator);
        }
        var run = TrainingRun.Create(spec!, new RunOptions(
            request.Data, request.Epochs, request.BatchSize, request.Lr, request.Seed, request.NoShuffle, request.Init, request.Resume,
            modelPath, Path.GetDirectoryName(Path.GetFullPath(request.Spec))!, request.TimeLimit is { } limit ? TimeSpan.FromSeconds(limit) : null,
            communicator, (int)Math.Round((request.BucketMegabytes ?? 25) * (1 << 20)), request.SyncBatchNorm), progress);
        if (communicator is { Rank: > 0 })
        {
            run.Execute(console.Cancellation);
            return 0;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        if (!request.Json)
        {
            string folder = Path.GetDirectoryName(modelPath) is { Length: > 0 } directory ? directory : ".";
            console.Out.WriteLine($"writing the model, its checkpoints, history and report to {folder}{Path.DirectorySeparatorChar}");
        }
        var result = progress.Run(() => run.Execute(console.Cancellation));
        var heldOut = run.Data.Test ?? run.Data.Validation;
        ulong figureSeed = request.Seed ?? run.Spec.Seed ?? 0;
        var figures = run.Spec.Autoencoder is not null ? AutoencoderFigures.Write(run, heldOut, figureSeed)
            : run.Spec.Layers is [Serialization.RbmSpec] ? AutoencoderFigures.WriteBoltzmann(run, figureSeed) : null;
        HtmlReport.Write(run.ReportPath, run.Spec, result.Fit, result.Test, run.Data.Train.ClassNames, run.Trainer, run.Data.Train, heldOut, figures);

        var fit = result.Fit;
        var final = result.Final;
        var json = new JsonObject
        {
            ["epochs"] = run.Trainer.EpochsDone,
            ["steps"] = run.Trainer.Steps,
            ["train_loss"] = final?.TrainLoss,
            ["train_accuracy"] = final?.TrainAccuracy,
            ["restored_epoch"] = result.Restored?.Epoch,
            ["samples_per_second"] = Math.Round(fit.SamplesPerSecond, 1),
            ["model"] = run.ModelPath,
            ["report"] = run.ReportPath,
            ["stopped"] = fit.Reason.ToString().ToLowerInvariant(),
        };
        if (result.Test is { } test)
        {
            json["test_loss"] = test.Loss;
            json["test_accuracy"] = test.Classification?.Accuracy;
            foreach (var (name, value) in test.Metrics ?? new Dictionary<string, double>())
            {
                json["test_" + name] = value;
            }
        }
        if (figures?.Comparison is { } comparison)
        {
            json["code_knn_accuracy"] = comparison.CodeAccuracy;
            json["pca_knn_accuracy"] = comparison.PcaAccuracy;
        }
        var parallel = run.Trainer.Callbacks.OfType<DataParallel>().SingleOrDefault();
        if (parallel is not null)
        {
            json["ranks"] = communicator!.Size;
            json["buckets"] = new JsonArray([.. parallel.BucketLengths.Select(length => (JsonNode)(length * sizeof(float)))]);
            json["communication_seconds"] = Math.Round(parallel.CommunicationSeconds, 4);
            json["exposed_communication_seconds"] = Math.Round(parallel.ExposedCommunicationSeconds, 4);
        }
        if (figures is not null)
        {
            json["pictures"] = new JsonArray([.. figures.Files.Select(file => (JsonNode)file.File)]);
        }
        if (request.Json)
        {
            console.Out.WriteLine(json.ToJsonString());
        }
        else
        {
            Tables.TrainingResult(console, result, run.ReportPath);
            if (parallel is not null)
            {
                console.Out.WriteLine(Communication(parallel, communicator!.Size));
            }
            if (figures?.Comparison is { } c)
            {
                console.Out.WriteLine($"{c.K}-NN accuracy on the held-out data: {c.CodeAccuracy:P2} in the 2-D code, {c.PcaAccuracy:P2} in PCA's 2-D projection");
            }
            foreach (var (_, file) in figures?.Files ?? [])
            {
                console.Out.WriteLine($"picture: {file}");
            }
        }
        return 0;
    }

    /// <summary>One line on the gradients' all-reduces: the buckets, the time in flight and the time waited for after backward, per step.</summary>
    private static string Communication(DataParallel parallel, int ranks)
    {
        double perStep = 1000.0 / Math.Max(parallel.Steps, 1);
        string buckets = string.Join(" + ", parallel.BucketLengths.Select(length => (length * sizeof(float) / 1024.0).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " KiB"));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"communication over {ranks} ranks, {parallel.Steps} steps, buckets {buckets}: {parallel.CommunicationSeconds:0.###} s in flight ({parallel.CommunicationSeconds * perStep:0.###} ms a step), {parallel.ExposedCommunicationSeconds:0.###} s exposed after backward ({parallel.ExposedCommunicationSeconds * perStep:0.###} ms a step)");
    }

    /// <summary>Whether the checkpoint <c>--resume</c> names is a GAN's (its spec has a "gan"); anything else is left to <see cref="TrainingRun"/> to judge.</summary>
    private static bool ResumesGan(string checkpoint) =>
        SafeTensors.LoadMetadata(checkpoint).ContainsKey(ModelFile.SpecKey) && ModelFile.LoadSpec(checkpoint).Gan is not null;

    /// <summary>A GAN's run (<see cref="GanRun"/>): the model file, the history and a report with a sample grid per epoch.</summary>
    private static int TrainGan(Terminal console, Request request, ModelSpec spec, string modelPath, TrainingProgress progress, ICommunicator? communicator)
    {
        var run = GanRun.Create(spec, new RunOptions(
            request.Data, request.Epochs, request.BatchSize, request.Lr, request.Seed, request.NoShuffle, request.Init, request.Resume,
            modelPath, Path.GetDirectoryName(Path.GetFullPath(request.Spec))!, request.TimeLimit is { } limit ? TimeSpan.FromSeconds(limit) : null,
            communicator), progress);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        if (!request.Json)
        {
            string folder = Path.GetDirectoryName(modelPath) is { Length: > 0 } directory ? directory : ".";
            console.Out.WriteLine($"writing the model, its checkpoint, history and report to {folder}{Path.DirectorySeparatorChar}");
        }
        var fit = progress.Run(() => run.Execute(console.Cancellation));
        HtmlReport.WriteGan(run.ReportPath, run, fit);
        var final = fit.History.Count == 0 ? null : fit.History[^1];
        double? Metric(string name) => final?.Metrics is { } m && m.TryGetValue(name, out double v) ? v : null;
        var json = new JsonObject
        {
            ["epochs"] = fit.History.Count,
            ["steps"] = run.Trainer.Steps,
            ["loss_d"] = final?.TrainLoss,
            ["loss_g"] = Metric("loss_g"),
            ["d_real"] = Metric("d_real"),
            ["d_fake"] = Metric("d_fake"),
            ["samples_per_second"] = Math.Round(fit.SamplesPerSecond, 1),
            ["model"] = run.ModelPath,
            ["history"] = run.HistoryPath,
            ["report"] = run.ReportPath,
            ["stopped"] = fit.Reason.ToString().ToLowerInvariant(),
        };
        console.Out.WriteLine(request.Json
            ? json.ToJsonString()
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"after {fit.History.Count} epochs: discriminator loss {final?.TrainLoss:0.0000}, generator loss {Metric("loss_g"):0.0000}, D(x) {Metric("d_real"):0.000}, D(G(z)) {Metric("d_fake"):0.000}\nmodel: {run.ModelPath}\nreport: {run.ReportPath}"));
        return 0;
    }
}
