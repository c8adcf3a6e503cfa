using Neurite.Training;

namespace Neurite.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void Precision_recall_and_f1_come_from_the_confusion_matrix()
    {
        // Truth 0 0 0 1 1 2 against predictions 0 1 0 1 2 2:
        // class 0: TP 2, predicted 2, actual 3 → P 1, R 2/3;  class 1: TP 1, predicted 2, actual 2 → P ½, R ½;
        // class 2: TP 1, predicted 2, actual 1 → P ½, R 1.
        var metrics = new ClassificationMetrics(["a", "b", "c"]);
        metrics.Add([0f, 0f, 0f], [0, 1, 0]);
        metrics.Add([1f, 1f, 2f], [1, 2, 2]);
        Assert.Equal(6, metrics.Count);
        Assert.Equal(4.0 / 6, metrics.Accuracy, 12);
        Assert.Equal(new long[,] { { 2, 1, 0 }, { 0, 1, 1 }, { 0, 0, 1 } }, metrics.Confusion);
        var scores = metrics.PerClass();
        Assert.Equal(new ClassScores("a", 1, 2.0 / 3, 0.8, 3), scores[0]);
        Assert.Equal(new ClassScores("b", 0.5, 0.5, 0.5, 2), scores[1]);
        Assert.Equal("c", scores[2].Name);
        Assert.Equal(2 * 0.5 * 1 / 1.5, scores[2].F1, 12);
    }

    [Fact]
    public void A_class_never_predicted_has_zero_precision_not_nan()
    {
        var metrics = new ClassificationMetrics(["a", "b"]);
        metrics.Add([0f, 1f], [0, 0]);
        Assert.Equal(0, metrics.PerClass()[1].Precision);
        Assert.Equal(0, metrics.PerClass()[1].F1);
    }

    [Fact]
    public void A_predicted_class_beyond_the_class_count_is_reported()
    {
        var metrics = new ClassificationMetrics(["a", "b"]);
        var e = Assert.Throws<ArgumentException>(() => metrics.Add([0f], [4]));
        Assert.Contains("predicted class 4 at position 0, but there are 2 classes", e.Message);
    }

    [Fact]
    public void Regression_metrics_match_hand_computed_values()
    {
        // t = 1, 2, 3, 4; y = 1.5, 2, 2, 5: errors .5, 0, −1, 1 → MSE 2.25/4, MAE 2.5/4;
        // SS_tot = 5, SS_res = 2.25 → R² = 0.55.
        var metrics = new RegressionMetrics();
        metrics.Add([1.5f, 2f], [1f, 2f], 1);
        metrics.Add([2f, 5f], [3f, 4f], 1);
        Assert.Equal(0.5625, metrics.Mse, 12);
        Assert.Equal(0.625, metrics.Mae, 12);
        Assert.Equal(0.55, metrics.R2, 12);
    }

    [Fact]
    public void R2_stays_accurate_when_targets_have_a_large_mean()
    {
        // The same data shifted by 1e6: R² must not change (a naive Σt² − (Σt)²/n loses it all).
        var metrics = new RegressionMetrics();
        metrics.Add([1_000_001.5f, 1_000_002f, 1_000_002f, 1_000_005f], [1_000_001f, 1_000_002f, 1_000_003f, 1_000_004f], 1);
        Assert.Equal(0.55, metrics.R2, 9);
    }
}
