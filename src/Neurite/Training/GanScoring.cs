using Neurite.Analysis;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// Scores images with a classifier's model file (<see cref="InceptionScore"/>): a GAN's samples, or a data source's test
/// images for reference. The images reach the classifier in the data's own units (raw pixels for Fashion-MNIST), scaled
/// as the classifier was trained.
/// </summary>
public static class GanScoring
{
    /// <summary>A GAN's samples in [0, 1] (<see cref="GanTrainer.Sample(Gan, int, Generator)"/>) in the data's units: the inverse of the run's min-max scaling, when its model file records one.</summary>
    public static Tensor ToDataUnits(Tensor samples, IPreprocessor? scaling)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (scaling is not MinMaxScale { Min.Count: 1 } minMax)
        {
            return scaling is null ? samples : throw new ArgumentException("GanScoring: a GAN's data is scaled by one range (minmax_global).", nameof(scaling));
        }
        // x = min + s · (max − min).
        return Ops.Add(Ops.Mul(samples, minMax.Range[0]), minMax.Min[0]);
    }

    /// <summary>The classifier's class probabilities p(y|x) [N, K] for <paramref name="images"/> in the data's units, batch by batch.</summary>
    /// <exception cref="ArgumentException">The images do not have as many values as the classifier's input, or its output is not class scores.</exception>
    public static Tensor Probabilities(TrainedModel classifier, Tensor images, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(images);
        long width = images.Count / Math.Max(1, images.Shape[0]);
        if (width != classifier.InputWidth)
        {
            throw new ArgumentException($"the classifier takes {classifier.InputWidth} values per image, but the images are {Shapes.Format(images.Shape)}");
        }
        var scaled = classifier.Preprocessor?.Apply(images) ?? images;
        var logits = new Trainer(classifier.Loaded.Module, classifier.Objective) { InputShape = classifier.Loaded.Spec.Input }.Predict(scaled, batchSize);
        if (logits.Rank != 2 || logits.Shape[1] < 2)
        {
            throw new ArgumentException($"the classifier must give class scores [N, K], but gives {Shapes.Format(logits.Shape)}");
        }
        return Ops.Softmax(logits, -1);
    }

    /// <summary>
    /// The score and coverage of <paramref name="count"/> samples of the GAN in <paramref name="gan"/>'s model file, drawn
    /// with <paramref name="rng"/> (a conditional GAN's in equal numbers per class, <see cref="GanTrainer.ClassRows"/>), and
    /// for a conditional GAN with as many classes as the classifier, the share of samples classified as their label.
    /// </summary>
    /// <exception cref="ArgumentException">The model is not a GAN, or its images do not fit the classifier.</exception>
    public static SampleQuality ScoreSamples(TrainedModel gan, TrainedModel classifier, int count, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(gan);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(rng);
        var pair = gan.Loaded.Module as Gan ?? throw new ArgumentException("the model is not a GAN: its spec has no \"gan\"");
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var z = Tensor.Normal([count, pair.Latent], 0, 1, rng);
        int[]? labels = pair.Classes is { } classes ? GanTrainer.ClassRows(count, classes) : null;
        var probabilities = Probabilities(classifier, ToDataUnits(GanTrainer.Sample(pair, z, labels), gan.Preprocessor));
        var quality = InceptionScore.Compute(probabilities);
        // Label i is taken to be the classifier's class i (a GAN trained on IDX files names its classes 0 … 9).
        if (labels is null || probabilities.Shape[1] != pair.Classes)
        {
            return quality;
        }
        var p = probabilities.Data;
        int k = probabilities.Shape[1], agreeing = 0;
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            for (int j = 1; j < k; j++)
            {
                best = p[i * k + j] > p[i * k + best] ? j : best;
            }
            agreeing += best == labels![i] ? 1 : 0;
        }
        return quality with { LabelAgreement = agreeing / (double)count };
    }

    /// <summary>The score and coverage of the first <paramref name="count"/> test images of a data source (its training data when it has no test set).</summary>
    public static SampleQuality ScoreData(TrainedModel classifier, string source, int count)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        var data = classifier.ReadData(source);
        var subset = data.Subset([.. Enumerable.Range(0, Math.Min(count, data.Count))]);
        var logits = classifier.Evaluator(subset).Predict(subset.Features);
        return InceptionScore.Compute(Ops.Softmax(logits, -1));
    }
}
