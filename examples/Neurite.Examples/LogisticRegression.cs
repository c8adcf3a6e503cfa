using System.Globalization;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Examples;

/// <summary>
/// Logistic regression, the single neuron of seed 002 with a sigmoid: p = σ(w·x + b), trained by
/// full-batch gradient descent on binary cross-entropy over two gaussian clouds.
/// </summary>
public static class LogisticRegression
{
    public sealed record Result(float[] Weights, float Bias, double Accuracy, float Loss, float[] LossGradient);

    /// <summary>Two gaussian clouds of <paramref name="perClass"/> points, σ = 1, centred on (−1, −1) (class 0) and (1, 1) (class 1).</summary>
    public static (Tensor X, Tensor Y) TwoGaussians(int perClass, ulong seed)
    {
        var rng = new Generator(seed);
        var x = Tensor.Normal([2 * perClass, 2], 0, 1, rng);
        var y = Tensor.Zeros([2 * perClass, 1]);
        for (int i = 0; i < 2 * perClass; i++)
        {
            float label = i < perClass ? 0 : 1;
            y.Data[i] = label;
            x.Data[2 * i] += 2 * label - 1;
            x.Data[2 * i + 1] += 2 * label - 1;
        }
        return (x, y);
    }

    public static Result Fit(int epochs = 500, double lr = 0.5, ulong seed = 1)
    {
        var (x, y) = TwoGaussians(100, seed);
        var neuron = new Linear(2, 1, rng: new Generator(seed + 1));
        var sgd = new SGD(neuron.Parameters(), new SGDOptions(lr));
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            sgd.ZeroGrad();
            // BCE on logits: the sigmoid inside the loss, computed stably (log-sum-exp).
            Losses.BinaryCrossEntropyWithLogits(neuron.Call(x), y).Backward();
            sgd.Step();
        }
        sgd.ZeroGrad();
        var loss = Losses.BinaryCrossEntropyWithLogits(neuron.Call(x), y);
        loss.Backward();
        float[] gradient = [.. neuron.Weight.Grad!.ToArray(), .. neuron.Bias!.Grad!.ToArray()];
        float[] probabilities;
        using (Graph.NoGrad())
        {
            probabilities = Ops.Sigmoid(neuron.Call(x)).ToArray();
        }
        int correct = probabilities.Where((p, i) => (p >= 0.5f ? 1 : 0) == y.Data[i]).Count();
        return new Result(neuron.Weight.ToArray(), neuron.Bias.Item(), (double)correct / probabilities.Length, loss.Item(), gradient);
    }

    public static void Run(TextWriter output)
    {
        var r = Fit();
        output.WriteLine("Logistic regression on two gaussian clouds (200 points), 500 epochs of gradient descent, lr 0.5");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p = σ({r.Weights[0]:0.000}·x₁ + {r.Weights[1]:0.000}·x₂ {(r.Bias < 0 ? '−' : '+')} {Math.Abs(r.Bias):0.000});  decision boundary where the sum is 0"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loss {r.Loss:0.0000}, training accuracy {r.Accuracy:P1}"));
    }
}
