using Neurite.Tensors;

namespace Neurite.Analysis;

/// <summary>
/// A k-nearest-neighbour classifier (scikit-learn's KNeighborsClassifier with uniform weights and Euclidean distance):
/// a query takes the class most common among the <see cref="K"/> stored points nearest to it; a tie goes to the tied
/// class whose nearest member is nearest.
/// </summary>
public sealed class NearestNeighbors
{
    private readonly float[] _points;
    private readonly int[] _classes;
    private readonly int _dimensions;

    /// <summary>Stores the points [N, d] and their classes (integers ≥ 0).</summary>
    /// <exception cref="ArgumentException">The points are not [N, d] with N ≥ k, the classes are not one per point, or k &lt; 1.</exception>
    public NearestNeighbors(Tensor points, IReadOnlyList<int> classes, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(classes);
        if (points.Rank != 2 || k < 1 || points.Shape[0] < k || classes.Count != points.Shape[0] || classes.Any(c => c < 0))
        {
            throw new ArgumentException(
                $"NearestNeighbors: expected points [N, d] with N ≥ k = {k} ≥ 1 and one class ≥ 0 per point; got points {Shapes.Format(points.Shape)} and {classes.Count} classes.");
        }
        _points = points.ToArray();
        _classes = [.. classes];
        _dimensions = points.Shape[1];
        K = k;
    }

    /// <summary>How many neighbours vote.</summary>
    public int K { get; }

    /// <summary>The predicted class of each query [M, d].</summary>
    /// <exception cref="ArgumentException">The queries do not have the stored points' d.</exception>
    public int[] Predict(Tensor queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Rank != 2 || queries.Shape[1] != _dimensions)
        {
            throw new ArgumentException($"NearestNeighbors.Predict: expected queries [M, {_dimensions}], got {Shapes.Format(queries.Shape)}.", nameof(queries));
        }
        var q = queries.ToArray();
        var predictions = new int[queries.Shape[0]];
        int classCount = _classes.Max() + 1;
        Parallel.For(0, predictions.Length, () => (new float[K], new int[K], new int[classCount]), (i, _, scratch) =>
        {
            predictions[i] = Vote(q.AsSpan(i * _dimensions, _dimensions), scratch.Item1, scratch.Item2, scratch.Item3);
            return scratch;
        }, _ => { });
        return predictions;
    }

    /// <summary>The share of queries whose predicted class is <paramref name="classes"/>' entry.</summary>
    /// <exception cref="ArgumentException">There is not one class per query.</exception>
    public double Accuracy(Tensor queries, IReadOnlyList<int> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var predicted = Predict(queries);
        if (classes.Count != predicted.Length)
        {
            throw new ArgumentException($"NearestNeighbors.Accuracy: {classes.Count} classes for {predicted.Length} queries.", nameof(classes));
        }
        return predicted.Where((c, i) => c == classes[i]).Count() / (double)Math.Max(1, predicted.Length);
    }

    /// <summary>The vote of the K nearest points, kept sorted by distance (ties in distance: the earlier point first).</summary>
    private int Vote(ReadOnlySpan<float> query, float[] distances, int[] nearest, int[] votes)
    {
        int found = 0, d = _dimensions;
        for (int p = 0; p < _classes.Length; p++)
        {
            float distance = 0;
            for (int j = 0; j < d; j++)
            {
                float diff = _points[p * d + j] - query[j];
                distance += diff * diff;
            }
            if (found == K && distance >= distances[K - 1])
            {
                continue;
            }
            int at = found < K ? found++ : K - 1;
            while (at > 0 && distances[at - 1] > distance)
            {
                distances[at] = distances[at - 1];
                nearest[at] = nearest[at - 1];
                at--;
            }
            distances[at] = distance;
            nearest[at] = p;
        }
        Array.Clear(votes);
        for (int i = 0; i < K; i++)
        {
            votes[_classes[nearest[i]]]++;
        }
        // The largest count wins; among equal counts, the class met first in order of distance, whose nearest member is nearer.
        int best = _classes[nearest[0]];
        for (int i = 1; i < K; i++)
        {
            if (votes[_classes[nearest[i]]] > votes[best])
            {
                best = _classes[nearest[i]];
            }
        }
        return best;
    }
}
