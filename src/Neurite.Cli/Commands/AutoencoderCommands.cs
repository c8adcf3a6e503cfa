using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Neurite.Cli.Rendering;
using Neurite.Imaging;
using Neurite.IO;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Cli.Commands;

/// <summary>
/// <c>neurite encode MODEL --data SOURCE --out codes.csv</c>: the codes of a data source's samples (its test set when it
/// has one) under an autoencoder, one CSV row per sample with its label.
/// </summary>
internal static class EncodeCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "an autoencoder's model file written by neurite train" };
        var data = new Option<string>("--data") { Description = "data source (its test set when it has one)", Required = true };
        var output = new Option<string>("--out") { Description = "the CSV file to write: columns code_0, code_1, …, label", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("encode", "write the codes an autoencoder gives a data source's samples") { model, data, output, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetRequiredValue(data), parse.GetRequiredValue(output), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string modelPath, string source, string outPath, bool json)
    {
        var saved = TrainedModel.Load(modelPath);
        var autoencoder = Autoencoder.From(saved.Loaded.Spec, saved.Loaded.Module, modelPath);
        var data = saved.ReadData(source);
        var codes = autoencoder.Encode(data.Features);
        int width = codes.Count / Math.Max(1, codes.Shape[0]);
        var csv = new StringBuilder();
        csv.Append(string.Join(',', Enumerable.Range(0, width).Select(i => $"code_{i}")));
        bool labelled = data.Task == Data.TaskKind.Classification;
        csv.Append(labelled ? ",label\n" : "\n");
        var values = codes.Data;
        for (int n = 0; n < codes.Shape[0]; n++)
        {
            for (int i = 0; i < width; i++)
            {
                csv.Append(i == 0 ? "" : ",").Append(values[n * width + i].ToString("R", CultureInfo.InvariantCulture));
            }
            if (labelled)
            {
                csv.Append(',').Append(Csv(data.ClassNames[(int)data.Targets.Data[n]]));
            }
            csv.Append('\n');
        }
        AtomicFile.WriteAllText(outPath, csv.ToString());
        console.Out.WriteLine(json
            ? new JsonObject { ["samples"] = codes.Shape[0], ["code_size"] = width, ["out"] = outPath }.ToJsonString()
            : $"wrote the {width}-value codes of {codes.Shape[0]} samples to {outPath}");
        return 0;
    }

    /// <summary>A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).</summary>
    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// <c>neurite sample MODEL --n 64 --out grid.png [--seed S]</c>: a grid of a variational autoencoder's samples, the
/// decoded codes of draws from N(0, I); with <c>--manifold STEPS</c> instead, the latent manifold of a 2-D code. For a
/// restricted Boltzmann machine: Gibbs samples (<c>--steps N</c>, chains from noise or from the test images of
/// <c>--data SOURCE</c>), or with <c>--filters</c> the learned filters.
/// </summary>
internal static class SampleCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a variational autoencoder's or an RBM's model file written by neurite train" };
        var count = new Option<int>("--n") { Description = "how many samples (default 64)", DefaultValueFactory = _ => 64 };
        var output = new Option<string>("--out") { Description = "the PNG file to write", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "seed of the draws: the same seed draws the same samples (default 0)" };
        var manifold = new Option<int?>("--manifold") { Description = "draw the 2-D latent manifold instead: a STEPS × STEPS grid of codes through the normal's inverse CDF" };
        var steps = new Option<int>("--steps") { Description = "RBM: Gibbs steps per chain (default 1000)", DefaultValueFactory = _ => 1000 };
        var data = new Option<string?>("--data") { Description = "RBM: start the chains from the first N test images of this data source instead of noise" };
        var filters = new Option<bool>("--filters") { Description = "RBM: draw the first N hidden units' weights (the learned filters) instead of samples" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("sample", "draw samples from a variational autoencoder or an RBM as a grid of images") { model, count, output, seed, manifold, steps, data, filters, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetValue(count), parse.GetRequiredValue(output), parse.GetValue(seed),
            parse.GetValue(manifold), new BoltzmannOptions(parse.GetValue(steps), parse.GetValue(data), parse.GetValue(filters)), parse.GetValue(json)));
        return command;
    }

    /// <summary>What an RBM's sampling takes: Gibbs steps, a data source to start the chains from, or the filters instead.</summary>
    private sealed record BoltzmannOptions(int Steps, string? Data, bool Filters);

    private static int Run(Terminal console, string modelPath, int count, string outPath, ulong seed, int? manifold, BoltzmannOptions boltzmann, bool json)
    {
        if (count < 1 || count > 10_000)
        {
            throw new ArgumentException($"--n: expected 1 … 10000 samples, got {count}");
        }
        if (manifold is { } steps && (steps < 2 || steps > 100))
        {
            throw new ArgumentException($"--manifold: expected 2 … 100 steps, got {steps}");
        }
        var saved = TrainedModel.Load(modelPath);
        var (picture, images) = saved.Loaded.Spec.Layers is [Serialization.RbmSpec]
            ? SampleBoltzmann(saved, modelPath, count, seed, boltzmann)
            : SampleAutoencoder(saved, modelPath, count, seed, manifold);
        picture.Save(outPath);
        console.Out.WriteLine(json
            ? new JsonObject { ["images"] = images, ["width"] = picture.Width, ["height"] = picture.Height, ["out"] = outPath }.ToJsonString()
            : $"wrote {images} images to {outPath}");
        return 0;
    }

    private static (Picture Picture, int Images) SampleAutoencoder(TrainedModel saved, string modelPath, int count, ulong seed, int? manifold)
    {
        var autoencoder = Autoencoder.From(saved.Loaded.Spec, saved.Loaded.Module, modelPath);
        var images = autoencoder.AsImages(manifold is { } grid ? autoencoder.Manifold(grid) : autoencoder.Sample(count, new Generator(seed)));
        // Samples are tiled apart; the manifold's tiles touch, as a continuous map of the code (Kingma & Welling's figure 4).
        return (Picture.Grid(images, manifold ?? 0, padding: manifold is null ? 2 : 0, high: AutoencoderFigures.White(saved.Preprocessor, saved.Loaded.Spec)), images.Shape[0]);
    }

    private static (Picture Picture, int Images) SampleBoltzmann(TrainedModel saved, string modelPath, int count, ulong seed, BoltzmannOptions options)
    {
        if (options.Steps < 1 || options.Steps > 100_000)
        {
            throw new ArgumentException($"--steps: expected 1 … 100000 Gibbs steps, got {options.Steps}");
        }
        var rbm = BoltzmannPictures.Of(saved.Loaded.Spec, saved.Loaded.Module, modelPath);
        if (options.Filters)
        {
            return (BoltzmannPictures.Filters(rbm, count), Math.Min(count, rbm.Hidden));
        }
        Tensor? start = null;
        if (options.Data is { } source)
        {
            var data = saved.ReadData(source);
            if (data.Count < count)
            {
                throw new ArgumentException($"--data: {source} has {data.Count} samples, fewer than --n {count}");
            }
            start = data.Subset([.. Enumerable.Range(0, count)]).Features;
        }
        return (BoltzmannPictures.Samples(rbm, count, options.Steps, seed, start), count);
    }
}
