namespace Neurite.Training;

/// <summary>Precision, recall and F1 of one class (one-vs-rest), with its support (true count).</summary>
public sealed record ClassScores(string Name, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Classification metrics from a confusion matrix C, where C[t, p] counts the samples of true
/// class t predicted as p: accuracy = trace(C) / N; for class k, precision = C[k, k] / Σₜ C[t, k],
/// recall = C[k, k] / Σₚ C[k, p], F1 = 2PR / (P + R); a ratio with nothing to count is 0, as
/// scikit-learn's zero_division=0.
/// </summary>
public sealed class ClassificationMetrics
{
    private readonly long[,] _confusion;

    public ClassificationMetrics(IReadOnlyList<string> classNames)
    {
        ClassNames = classNames;
        _confusion = new long[classNames.Count, classNames.Count];
    }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The confusion matrix, rows true classes, columns predicted classes.</summary>
    public long[,] Confusion => (long[,])_confusion.Clone();

    public long Count { get; private set; }

    public double Accuracy => Count == 0 ? 0 : (double)Enumerable.Range(0, ClassNames.Count).Sum(k => _confusion[k, k]) / Count;

    /// <summary>Replaces the counts with <paramref name="confusion"/> (rows true classes, columns predicted ones): the sum over a data-parallel run's ranks.</summary>
    public void Reset(long[,] confusion)
    {
        if (confusion.GetLength(0) != ClassNames.Count || confusion.GetLength(1) != ClassNames.Count)
        {
            throw new ArgumentException($"ClassificationMetrics: a {confusion.GetLength(0)}×{confusion.GetLength(1)} confusion matrix for {ClassNames.Count} classes.", nameof(confusion));
        }
        Array.Copy(confusion, _confusion, confusion.Length);
        Count = confusion.Cast<long>().Sum();
    }

    /// <summary>Counts a batch: true classes (as the float indices of the targets) and predicted ones.</summary>
    public void Add(ReadOnlySpan<float> targets, ReadOnlySpan<int> predicted)
    {
        for (int i = 0; i < predicted.Length; i++)
        {
            int truth = (int)targets[i], guess = predicted[i];
            if ((uint)guess >= (uint)ClassNames.Count)
            {
                throw new ArgumentException(
                    $"ClassificationMetrics: predicted class {guess} at position {i}, but there are {ClassNames.Count} classes; does the output layer have one unit per class?");
            }
            _confusion[truth, guess]++;
        }
        Count += predicted.Length;
    }

    /// <summary>Precision, recall and F1 of every class.</summary>
    public IReadOnlyList<ClassScores> PerClass()
    {
        int k = ClassNames.Count;
        var scores = new ClassScores[k];
        for (int c = 0; c < k; c++)
        {
            long truePositives = _confusion[c, c], predicted = 0, actual = 0;
            for (int j = 0; j < k; j++)
            {
                predicted += _confusion[j, c];
                actual += _confusion[c, j];
            }
            double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
            double recall = actual == 0 ? 0 : (double)truePositives / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            scores[c] = new ClassScores(ClassNames[c], precision, recall, f1, (int)actual);
        }
        return scores;
    }
}

/// <summary>
/// Regression metrics over every output of every sample: MSE = mean (y − t)², MAE = mean |y − t|,
/// R² = 1 − SS_res / SS_tot with SS_tot = Σ (t − mean t)² per output column (summed over columns,
/// as scikit-learn's r2_score with variance_weighted). Accumulated in double, in one pass: SS_tot
/// from the sums of t − s and (t − s)², with s the column's first target, which keeps the
/// subtraction well conditioned when the mean is large against the spread.
/// </summary>
public sealed class RegressionMetrics
{
    private double _squaredError, _absoluteError;
    private double[] _sum = [], _sumOfSquares = [], _shift = [];

    public long Count { get; private set; }

    public double Mse => Values == 0 ? 0 : _squaredError / Values;

    public double Mae => Values == 0 ? 0 : _absoluteError / Values;

    /// <summary>R²; NaN when the targets do not vary.</summary>
    public double R2
    {
        get
        {
            double total = 0;
            for (int j = 0; j < _sum.Length; j++)
            {
                total += _sumOfSquares[j] - _sum[j] * _sum[j] / Count;
            }
            return total <= 0 ? double.NaN : 1 - _squaredError / total;
        }
    }

    private long Values => Count * _sum.Length;

    /// <summary>Adds a batch of [B, k] outputs and targets (row-major).</summary>
    public void Add(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int width)
    {
        if (outputs.Length != targets.Length)
        {
            throw new ArgumentException($"RegressionMetrics: {outputs.Length} outputs against {targets.Length} targets; the output layer should have one unit per target column.");
        }
        if (_sum.Length == 0)
        {
            (_sum, _sumOfSquares) = (new double[width], new double[width]);
            _shift = [.. targets[..width].ToArray().Select(t => (double)t)];
        }
        for (int i = 0; i < outputs.Length; i++)
        {
            double error = outputs[i] - targets[i];
            _squaredError += error * error;
            _absoluteError += Math.Abs(error);
            double shifted = targets[i] - _shift[i % width];
            _sum[i % width] += shifted;
            _sumOfSquares[i % width] += shifted * shifted;
        }
        Count += outputs.Length / width;
    }
}
