using Neurite.Data;
using Neurite.Imaging;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Cli.Rendering;

/// <summary>The pictures and numbers of a trained autoencoder, written as PNG files beside the model and shown in its report.</summary>
/// <param name="Files">Each picture's caption and the PNG file it was written to, in report order.</param>
/// <param name="Pictures">The pictures, by file.</param>
/// <param name="Comparison">The 2-D code beside PCA's projection with k-NN accuracies, when the code has two values and the data classes.</param>
/// <param name="ClassNames">The held-out data's class names, for the scatter plots' legend.</param>
/// <param name="Title">The report section's heading.</param>
internal sealed record AutoencoderFigures(
    IReadOnlyList<(string Caption, string File)> Files, IReadOnlyDictionary<string, Picture> Pictures, CodeComparison? Comparison, IReadOnlyList<string> ClassNames,
    string Title = "Autoencoder")
{
    /// <summary>How many Gibbs steps each chain of a restricted Boltzmann machine's sample figure runs.</summary>
    public const int GibbsSteps = 1000;

    /// <summary>
    /// A restricted Boltzmann machine's figures, written beside its report (STEM.samples.png, STEM.filters.png): 64 Gibbs
    /// samples from noise and the first 100 hidden units' filters.
    /// </summary>
    public static AutoencoderFigures WriteBoltzmann(TrainingRun run, ulong seed)
    {
        var rbm = BoltzmannPictures.Of(run.Spec, run.Trainer.Model);
        string stem = run.ReportPath[..^".report.html".Length];
        var samples = BoltzmannPictures.Samples(rbm, 64, GibbsSteps, seed);
        var filters = BoltzmannPictures.Filters(rbm, 100);
        var files = new List<(string, string)>
        {
            ($"64 samples: Gibbs chains from noise, {GibbsSteps} steps each (seed {seed}), the last step's p(v | h)", stem + ".samples.png"),
            ($"The weights of the first {Math.Min(100, rbm.Hidden)} hidden units, each scaled from its minimum (black) to its maximum (white)", stem + ".filters.png"),
        };
        samples.Save(files[0].Item2);
        filters.Save(files[1].Item2);
        return new AutoencoderFigures(files, new Dictionary<string, Picture> { [files[0].Item2] = samples, [files[1].Item2] = filters }, null, [], "Restricted Boltzmann machine");
    }

    /// <summary>How many held-out images the reconstruction figure shows.</summary>
    public const int Reconstructions = 16;

    /// <summary>Makes the figures of <paramref name="run"/>'s model and writes them beside its report (STEM.NAME.png).</summary>
    public static AutoencoderFigures Write(TrainingRun run, Dataset? heldOut, ulong seed)
    {
        var autoencoder = Autoencoder.From(run.Spec, run.Trainer.Model);
        string stem = run.ReportPath[..^".report.html".Length];
        var files = new List<(string, string)>();
        var pictures = new Dictionary<string, Picture>();
        void Add(string caption, string name, Picture picture)
        {
            string path = $"{stem}.{name}.png";
            picture.Save(path);
            files.Add((caption, path));
            pictures[path] = picture;
        }
        float high = White(run.Data.Preprocessor, run.Spec);
        if (autoencoder.ImageShape is not null && heldOut is { Count: > 0 })
        {
            var originals = heldOut.Subset([.. Enumerable.Range(0, Math.Min(Reconstructions, heldOut.Count))]).Features;
            var rebuilt = autoencoder.Decode(autoencoder.Encode(originals));
            var both = Autograd.Ops.Concat([autoencoder.AsImages(originals), autoencoder.AsImages(rebuilt)], 0);
            Add($"The first {originals.Shape[0]} held-out images (top rows) and their reconstructions (bottom rows)", "reconstructions",
                Picture.Grid(both, columns: originals.Shape[0] > 8 ? 8 : originals.Shape[0], high: high));
        }
        if (autoencoder.IsVariational && autoencoder.ImageShape is not null)
        {
            Add($"64 samples: codes drawn from N(0, I) (seed {seed}), decoded", "samples", Picture.Grid(autoencoder.AsImages(autoencoder.Sample(64, new Generator(seed))), high: high));
            if (autoencoder.CodeShape is [2])
            {
                Add("The latent manifold: a 20 × 20 grid of codes, evenly spaced probabilities through the normal's inverse CDF, decoded",
                    "manifold", Picture.Grid(autoencoder.AsImages(autoencoder.Manifold(20)), columns: 20, padding: 0, high: high));
            }
        }
        CodeComparison? comparison = null;
        if (autoencoder.CodeShape is [2] && heldOut is { Task: TaskKind.Classification } && run.Data.Train.Task == TaskKind.Classification)
        {
            comparison = autoencoder.CompareWithPca(run.Data.Train, heldOut);
            Add($"The held-out data's 2-D codes, coloured by class ({comparison.K}-NN accuracy {comparison.CodeAccuracy:P1})", "codes", Scatter(comparison.Codes, comparison.Classes));
            Add($"PCA's 2-D projection of the same data ({comparison.K}-NN accuracy {comparison.PcaAccuracy:P1})", "pca", Scatter(comparison.Projection, comparison.Classes));
        }
        return new AutoencoderFigures(files, pictures, comparison, heldOut?.ClassNames ?? []);
    }

    /// <summary>
    /// The data value pictures show as white (0 is black): 1 for data scaled to [0, 1] or modelled by a binary
    /// cross-entropy, 255 for raw pixels.
    /// </summary>
    internal static float White(IPreprocessor? preprocessor, ModelSpec spec) =>
        preprocessor is not null || spec.Loss?.Type is "bce" or "bce_with_logits" ? 1f : 255f;

    private static Picture Scatter(Tensor points, int[] classes)
    {
        var values = points.Data;
        var x = new float[points.Shape[0]];
        var y = new float[points.Shape[0]];
        for (int i = 0; i < x.Length; i++)
        {
            (x[i], y[i]) = (values[2 * i], values[2 * i + 1]);
        }
        return Picture.Scatter(x, y, classes);
    }
}
