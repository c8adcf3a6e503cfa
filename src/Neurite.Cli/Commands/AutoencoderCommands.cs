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
/// decoded codes of draws from N(0, I), or of a GAN's, G(z) for z ~ N(0, I) (a conditional GAN's classes in rows); with
/// <c>--manifold STEPS</c> instead, a VAE's latent manifold of a 2-D code. For a restricted Boltzmann machine: Gibbs
/// samples (<c>--steps N</c>, chains from noise or from the test images of <c>--data SOURCE</c>), or with
/// <c>--filters</c> the learned filters.
/// </summary>
internal static class SampleCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a variational autoencoder's, a GAN's or an RBM's model file written by neurite train" };
        var count = new Option<int>("--n") { Description = "how many samples (default 64)", DefaultValueFactory = _ => 64 };
        var output = new Option<string>("--out") { Description = "the PNG file to write", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "seed of the draws: the same seed draws the same samples (default 0)" };
        var manifold = new Option<int?>("--manifold") { Description = "draw the 2-D latent manifold instead: a STEPS × STEPS grid of codes through the normal's inverse CDF" };
        var steps = new Option<int>("--steps") { Description = "RBM: Gibbs steps per chain (default 1000)", DefaultValueFactory = _ => 1000 };
        var data = new Option<string?>("--data") { Description = "RBM: start the chains from the first N test images of this data source instead of noise" };
        var filters = new Option<bool>("--filters") { Description = "RBM: draw the first N hidden units' weights (the learned filters) instead of samples" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("sample", "draw samples from a variational autoencoder, a GAN or an RBM as a grid of images") { model, count, output, seed, manifold, steps, data, filters, json };
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
        var (picture, images) = saved.Loaded.Module is NN.Gan gan ? SampleGan(gan, count, seed, manifold)
            : saved.Loaded.Spec.Layers is [Serialization.RbmSpec] ? SampleBoltzmann(saved, modelPath, count, seed, boltzmann)
            : SampleAutoencoder(saved, modelPath, count, seed, manifold);
        picture.Save(outPath);
        console.Out.WriteLine(json
            ? new JsonObject { ["images"] = images, ["width"] = picture.Width, ["height"] = picture.Height, ["out"] = outPath }.ToJsonString()
            : $"wrote {images} images to {outPath}");
        return 0;
    }

    /// <summary>A GAN's samples, in [0, 1] (its tanh output mapped back); a conditional one's classes are rows.</summary>
    private static (Picture Picture, int Images) SampleGan(NN.Gan gan, int count, ulong seed, int? manifold)
    {
        if (manifold is not null)
        {
            throw new ArgumentException("--manifold: a latent manifold is drawn from a VAE's 2-D code, not from a GAN");
        }
        var samples = GanTrainer.Sample(gan, count, new Generator(seed));
        return (Picture.Grid(samples, gan.Classes is { } classes ? GanTrainer.Columns(count, classes) : 0), count);
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

/// <summary>
/// <c>neurite score MODEL --classifier CLS [--n 1000] [--seed S]</c>: the Inception-style score and class coverage of a
/// GAN's samples as a classifier's model file sees them (<see cref="Analysis.InceptionScore"/>); with <c>--data SOURCE</c>
/// instead of a model, those of the source's first test images, for reference.
/// </summary>
internal static class ScoreCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string?>("MODEL") { Description = "a GAN's model file written by neurite train", Arity = ArgumentArity.ZeroOrOne };
        var classifier = new Option<string>("--classifier") { Description = "a classifier's model file (e.g. trained from examples/fashion-mnist-cnn.json)", Required = true };
        var count = new Option<int>("--n") { Description = "how many images to score (default 1000)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the GAN's draws (default 0)" };
        var data = new Option<string?>("--data") { Description = "score this data source's test images instead of a GAN's samples" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("score", "the Inception-style score and class coverage of a GAN's samples (or of real images) under a classifier")
        {
            model, classifier, count, seed, data, json,
        };
        command.SetAction(parse => Run(console, parse.GetValue(model), parse.GetRequiredValue(classifier), parse.GetValue(count), parse.GetValue(seed),
            parse.GetValue(data), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string? modelPath, string classifierPath, int count, ulong seed, string? data, bool json)
    {
        if (count < 1 || count > 100_000)
        {
            throw new ArgumentException($"--n: expected 1 … 100000 images, got {count}");
        }
        if ((modelPath is null) == (data is null))
        {
            throw new ArgumentException("give either a GAN's model file or --data SOURCE, not both or neither");
        }
        var classifier = TrainedModel.Load(classifierPath);
        var quality = modelPath is not null
            ? GanScoring.ScoreSamples(TrainedModel.Load(modelPath), classifier, count, new Generator(seed))
            : GanScoring.ScoreData(classifier, data!, count);
        var names = classifier.ClassNames ?? [.. Enumerable.Range(0, quality.ClassShares.Count).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        if (json)
        {
            var shares = new JsonObject();
            for (int i = 0; i < quality.ClassShares.Count; i++)
            {
                shares[i < names.Count ? names[i] : i.ToString(CultureInfo.InvariantCulture)] = quality.ClassShares[i];
            }
            console.Out.WriteLine(new JsonObject
            {
                ["images"] = quality.Samples,
                ["inception_score"] = quality.Score,
                ["coverage"] = quality.Coverage,
                ["coverage_threshold"] = quality.CoverageThreshold,
                ["class_shares"] = shares,
                ["label_agreement"] = quality.LabelAgreement,
            }.ToJsonString());
        }
        else
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{quality.Samples} {(modelPath is null ? "test images" : "samples")}: Inception-style score {quality.Score:0.000} (of at most {quality.ClassShares.Count}), class coverage {quality.Coverage:P0} (classes that are the top class of at least {quality.CoverageThreshold:P1} of the images)"));
            if (quality.LabelAgreement is { } agreement)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"label agreement: {agreement:P1} of the samples are classified as the class they were drawn for"));
            }
            console.Out.WriteLine("top-class shares: " + string.Join(", ", quality.ClassShares.Select((share, i) => string.Create(CultureInfo.InvariantCulture, $"{(i < names.Count ? names[i] : i.ToString(CultureInfo.InvariantCulture))} {share:P1}"))));
        }
        return 0;
    }
}
