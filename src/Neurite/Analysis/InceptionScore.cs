using Neurite.Tensors;

namespace Neurite.Analysis;

/// <summary>How a classifier sees a set of images: an Inception-style score and the class coverage.</summary>
/// <param name="Score">exp(E_x KL(p(y|x) ‖ p(y))): from 1 (every image gets the same class distribution) up to the number of classes (confident predictions spread evenly over them).</param>
/// <param name="Coverage">The fraction of classes that are the argmax of at least <see cref="CoverageThreshold"/> of the images.</param>
/// <param name="CoverageThreshold">The share of the images a class must win to be covered.</param>
/// <param name="ClassShares">For each class, the share of the images whose most probable class it is.</param>
/// <param name="Samples">The number of images scored.</param>
public sealed record SampleQuality(double Score, double Coverage, double CoverageThreshold, IReadOnlyList<double> ClassShares, int Samples)
{
    /// <summary>For a conditional generator's samples: the fraction whose most probable class is the label they were drawn for; else null.</summary>
    public double? LabelAgreement { get; init; }
}

/// <summary>
/// The Inception score of Salimans et al. (2016), exp(E_x KL(p(y|x) ‖ p(y))) with p(y) the mean of p(y|x) over the images,
/// computed from any classifier's class probabilities (here a Fashion-MNIST CNN instead of Inception v3), and the class
/// coverage: of K classes, the fraction that are the most probable class of at least a share <c>c / K</c> of the images
/// (c = ½ by default: a class is covered when the classifier sees it in at least half as many images as a uniform draw
/// of the classes would give). A generator that collapses onto a few modes scores low on both.
/// </summary>
public static class InceptionScore
{
    /// <summary>The quality of images whose class probabilities are <paramref name="probabilities"/> [N, K] (rows summing to 1).</summary>
    /// <param name="probabilities">p(y|x) for each image: [N, K].</param>
    /// <param name="coverageFactor">c in the coverage threshold c / K.</param>
    /// <exception cref="ArgumentException">The probabilities are not [N, K] with N ≥ 1, K ≥ 2, or a value is negative or not finite.</exception>
    public static SampleQuality Compute(Tensor probabilities, double coverageFactor = 0.5)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Rank != 2 || probabilities.Shape[0] < 1 || probabilities.Shape[1] < 2)
        {
            throw new ArgumentException($"InceptionScore: expected class probabilities [N, K] with N ≥ 1 and K ≥ 2, got {Shapes.Format(probabilities.Shape)}.", nameof(probabilities));
        }
        if (!(coverageFactor > 0 && double.IsFinite(coverageFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(coverageFactor), coverageFactor, "InceptionScore: the coverage factor must be positive.");
        }
        int n = probabilities.Shape[0], k = probabilities.Shape[1];
        var p = probabilities.Data.ToArray();
        if (p.Any(value => !(value >= 0 && float.IsFinite(value))))
        {
            throw new ArgumentException("InceptionScore: a probability is negative or not finite.", nameof(probabilities));
        }
        var marginal = new double[k];
        var wins = new int[k];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 0; j < k; j++)
            {
                marginal[j] += p[i * k + j] / (double)n;
                best = p[i * k + j] > p[i * k + best] ? j : best;
            }
            wins[best]++;
        }
        // KL(p(y|x) ‖ p(y)) = Σ_y p(y|x) (ln p(y|x) − ln p(y)), with 0 · ln 0 = 0.
        double klSum = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double q = p[i * k + j];
                klSum += q > 0 ? q * (Math.Log(q) - Math.Log(marginal[j])) : 0;
            }
        }
        double threshold = coverageFactor / k;
        var shares = wins.Select(count => count / (double)n).ToArray();
        return new SampleQuality(Math.Exp(klSum / n), shares.Count(share => share >= threshold) / (double)k, threshold, shares, n);
    }
}
