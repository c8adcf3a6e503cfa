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

/// <summary>The metrics a spec may name under <c>metrics</c>, by name.</summary>
public static class MetricNames
{
    /// <summary>sequence_accuracy (<see cref="SequenceAccuracy"/>) and bits_per_char (<see cref="BitsPerCharacter"/>).</summary>
    public static IReadOnlyList<string> Names { get; } = ["sequence_accuracy", "bits_per_char"];

    /// <summary>A new metric of that name.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static IMetric Create(string name) => name switch
    {
        "sequence_accuracy" => new SequenceAccuracy(),
        "bits_per_char" => new BitsPerCharacter(),
        _ => throw new ArgumentException($"unknown metric \"{name}\"; known: {string.Join(", ", Names)}", nameof(name)),
    };
}

/// <summary>
/// Exact match over sequences: the share of samples whose every step's arg-max output is its target class (outputs
/// [B, T, C] against targets [B, T]; one step per sample for [B, C] against [B]). Keras's addition_rnn reports it.
/// </summary>
public sealed class SequenceAccuracy : IMetric
{
    private long _right, _count;

    public string Name => "sequence_accuracy";

    public double Value => _count == 0 ? 0 : (double)_right / _count;

    public void Reset() => (_right, _count) = (0, 0);

    /// <exception cref="ArgumentException">The outputs and targets do not have one row of scores per target.</exception>
    public void Update(Tensors.Tensor outputs, Tensors.Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        int samples = targets.Shape[0], steps = targets.Count / Math.Max(samples, 1), classes = outputs.Shape[^1];
        if (outputs.Count != targets.Count * classes)
        {
            throw new ArgumentException(
                $"sequence_accuracy: outputs {Tensors.Shapes.Format(outputs.Shape)} do not hold one row of class scores per target of {Tensors.Shapes.Format(targets.Shape)}.");
        }
        ReadOnlySpan<float> y = outputs.Data, t = targets.Data;
        for (int i = 0; i < samples; i++)
        {
            bool right = true;
            for (int s = 0; s < steps && right; s++)
            {
                int row = i * steps + s;
                right = ArgMax(y.Slice(row * classes, classes)) == (int)t[row];
            }
            _right += right ? 1 : 0;
        }
        _count += samples;
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[best])
            {
                best = c;
            }
        }
        return best;
    }
}

/// <summary>
/// Bits per character of a language model: the mean over every step of −log₂ softmax(logits)[target], i.e. the
/// cross-entropy in nats divided by ln 2 (outputs [B, T, C] logits against targets [B, T]).
/// </summary>
public sealed class BitsPerCharacter : IMetric
{
    private double _nats;
    private long _count;

    public string Name => "bits_per_char";

    public double Value => _count == 0 ? 0 : _nats / _count / Math.Log(2);

    public void Reset() => (_nats, _count) = (0, 0);

    /// <exception cref="ArgumentException">The outputs and targets do not have one row of logits per target.</exception>
    public void Update(Tensors.Tensor outputs, Tensors.Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        int classes = outputs.Shape[^1];
        if (outputs.Count != targets.Count * classes)
        {
            throw new ArgumentException(
                $"bits_per_char: outputs {Tensors.Shapes.Format(outputs.Shape)} do not hold one row of logits per target of {Tensors.Shapes.Format(targets.Shape)}.");
        }
        ReadOnlySpan<float> y = outputs.Data, t = targets.Data;
        for (int row = 0; row < t.Length; row++)
        {
            var logits = y.Slice(row * classes, classes);
            // −log softmax(z)[k] = log Σ exp(z − max) + max − z_k
            float max = float.NegativeInfinity;
            foreach (float z in logits)
            {
                max = MathF.Max(max, z);
            }
            double sum = 0;
            foreach (float z in logits)
            {
                sum += Math.Exp(z - max);
            }
            _nats += Math.Log(sum) + max - logits[(int)t[row]];
        }
        _count += t.Length;
    }
}
