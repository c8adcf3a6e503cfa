using Neurite.Analysis;
using Neurite.Tensors;

namespace Neurite.Tests.Analysis;

public sealed class InceptionScoreTests
{
    [Fact]
    public void Confident_predictions_spread_over_two_classes_score_two_and_cover_both()
    {
        // p(y) = (½, ½); each KL(p(y|x) ‖ p(y)) = 1 · ln(1 / ½) = ln 2, so the score is exp(ln 2) = 2.
        var quality = InceptionScore.Compute(Tensor.From([1f, 0, 0, 1], [2, 2]));
        Assert.Equal(2, quality.Score, 12);
        Assert.Equal(1, quality.Coverage);
        Assert.Equal([0.5, 0.5], quality.ClassShares);
        Assert.Equal(0.25, quality.CoverageThreshold);
    }

    [Fact]
    public void Unsure_predictions_score_the_mean_kl_by_hand()
    {
        // p(y) = (½, ½); each row's KL = ¾ ln(¾ / ½) + ¼ ln(¼ / ½) = ¾ ln 1.5 − ¼ ln 2 ≈ 0.130812.
        var quality = InceptionScore.Compute(Tensor.From([0.75f, 0.25f, 0.25f, 0.75f], [2, 2]));
        Assert.Equal(Math.Exp(0.75 * Math.Log(1.5) - 0.25 * Math.Log(2)), quality.Score, 6);
        Assert.InRange(quality.Score, 1.139753, 1.139754);
    }

    [Fact]
    public void A_collapsed_class_lowers_the_score_and_the_coverage()
    {
        // Four confident predictions, three of class 0 and one of class 1, none of class 2: p(y) = (¾, ¼, 0). The KLs are
        // ln(4/3) three times and ln 4 once, so the score is exp((3 ln(4/3) + ln 4) / 4) = (4/3)^¾ · 4^¼ ≈ 1.754765, the
        // exponential of p(y)'s entropy. Shares (¾, ¼, 0) against the threshold ½ / 3 = ⅙: two classes of three covered.
        var quality = InceptionScore.Compute(Tensor.From([1f, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0], [4, 3]));
        Assert.Equal(Math.Pow(4.0 / 3, 0.75) * Math.Pow(4, 0.25), quality.Score, 6);
        Assert.InRange(quality.Score, 1.754765, 1.754766);
        Assert.Equal(2.0 / 3, quality.Coverage, 12);
        Assert.Equal([0.75, 0.25, 0], quality.ClassShares);
        // A stricter threshold (a class must win a third of the images) covers only class 0.
        Assert.Equal(1.0 / 3, InceptionScore.Compute(Tensor.From([1f, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0], [4, 3]), coverageFactor: 1).Coverage, 12);
    }

    [Fact]
    public void Identical_predictions_score_one()
    {
        var quality = InceptionScore.Compute(Tensor.From([0.2f, 0.3f, 0.5f, 0.2f, 0.3f, 0.5f], [2, 3]));
        Assert.Equal(1, quality.Score, 6);
        Assert.Equal(1.0 / 3, quality.Coverage, 12);
    }

    [Fact]
    public void Bad_probabilities_are_refused()
    {
        Assert.Throws<ArgumentException>(() => InceptionScore.Compute(Tensor.From([1f, 0], [2])));
        Assert.Throws<ArgumentException>(() => InceptionScore.Compute(Tensor.From([1f, float.NaN], [1, 2])));
        Assert.Throws<ArgumentException>(() => InceptionScore.Compute(Tensor.From([1f, -0.5f], [1, 2])));
    }
}
