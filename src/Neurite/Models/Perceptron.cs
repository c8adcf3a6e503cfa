using Neurite.Tensors;

namespace Neurite.Models;

/// <summary>The outcome of training a perceptron.</summary>
/// <param name="Converged">True when an epoch passed with no mistake: the data is linearly separated.</param>
/// <param name="Epochs">Epochs run (the converging epoch included).</param>
/// <param name="MistakesPerEpoch">Misclassified samples in each epoch.</param>
public sealed record PerceptronResult(bool Converged, int Epochs, IReadOnlyList<int> MistakesPerEpoch)
{
    /// <summary>One line for people: how training ended.</summary>
    public string Summary => Converged
        ? $"converged after {Epochs} epochs: the data is linearly separable"
        : $"stopped after {Epochs} epochs with {MistakesPerEpoch[^1]} mistakes still in the last epoch: the data is not linearly separable (or needs more epochs)";
}

/// <summary>
/// Rosenblatt's perceptron: ŷ = step(w·x + b) with step(z) = 1 for z ≥ 0, else 0, trained by the
/// perceptron learning rule w ← w + η(y − ŷ)x, b ← b + η(y − ŷ), one sample at a time. By the
/// perceptron convergence theorem it stops making mistakes after finitely many updates if and
/// only if the classes are linearly separable; on XOR it never does, so training stops after a
/// bounded number of epochs and says so.
/// </summary>
public sealed class Perceptron
{
    private readonly float[] _weights;

    public Perceptron(int inputs)
    {
        if (inputs < 1)
        {
            throw new ArgumentException($"Perceptron: inputs must be >= 1; got {inputs}.", nameof(inputs));
        }
        _weights = new float[inputs];
    }

    /// <summary>The weights w (start at 0).</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The bias b (starts at 0).</summary>
    public float Bias { get; private set; }

    /// <summary>step(w·x + b) for one sample.</summary>
    public int Predict(ReadOnlySpan<float> x)
    {
        if (x.Length != _weights.Length)
        {
            throw new ArgumentException($"Perceptron: expected {_weights.Length} inputs, got {x.Length}.");
        }
        float z = Bias;
        for (int i = 0; i < x.Length; i++)
        {
            z += _weights[i] * x[i];
        }
        return z >= 0 ? 1 : 0;
    }

    /// <summary>
    /// Runs the learning rule over the samples in order, epoch after epoch, until an epoch has no
    /// mistake or <paramref name="maxEpochs"/> have run. <paramref name="afterEpoch"/>, if given,
    /// sees each epoch's number and mistake count (the playground draws the line moving).
    /// </summary>
    public PerceptronResult Train(Tensor inputs, IReadOnlyList<int> labels, float learningRate = 1f, int maxEpochs = 100, Action<int, int>? afterEpoch = null)
    {
        if (inputs.Rank != 2 || inputs.Shape[1] != _weights.Length || inputs.Shape[0] != labels.Count)
        {
            throw new ArgumentException(
                $"Perceptron.Train: expected inputs [{labels.Count}, {_weights.Length}] for {labels.Count} labels; got {Shapes.Format(inputs.Shape)}.");
        }
        if (labels.Any(label => label is not (0 or 1)))
        {
            throw new ArgumentException("Perceptron.Train: labels must be 0 or 1.");
        }
        if (!(learningRate > 0) || !float.IsFinite(learningRate))
        {
            throw new ArgumentException($"Perceptron.Train: learningRate must be finite and > 0; got {learningRate}.", nameof(learningRate));
        }
        if (maxEpochs < 1)
        {
            throw new ArgumentException($"Perceptron.Train: maxEpochs must be >= 1; got {maxEpochs}.", nameof(maxEpochs));
        }
        int features = _weights.Length;
        var mistakes = new List<int>();
        for (int epoch = 1; epoch <= maxEpochs; epoch++)
        {
            int wrong = 0;
            for (int n = 0; n < labels.Count; n++)
            {
                var x = inputs.Data.Slice(n * features, features);
                int error = labels[n] - Predict(x); // y − ŷ ∈ {−1, 0, 1}
                if (error == 0)
                {
                    continue;
                }
                wrong++;
                for (int i = 0; i < features; i++)
                {
                    _weights[i] += learningRate * error * x[i];
                }
                Bias += learningRate * error;
            }
            mistakes.Add(wrong);
            afterEpoch?.Invoke(epoch, wrong);
            if (wrong == 0)
            {
                return new PerceptronResult(true, epoch, mistakes);
            }
        }
        return new PerceptronResult(false, maxEpochs, mistakes);
    }
}
