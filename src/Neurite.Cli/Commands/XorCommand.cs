using System.CommandLine;
using System.Globalization;
using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Cli.Commands;

/// <summary>
/// `neurite xor`: trains the seeds' 2-2-1 network on XOR with full-batch gradient descent and
/// prints the loss falling and the four final predictions, and says so when the network is stuck.
/// </summary>
/// <remarks>
/// Hidden layer tanh, output sigmoid, binary cross-entropy; W, b ~ U(−1/√in, 1/√in) as
/// torch.nn.Linear; w ← w − η ∂L/∂w. Some seeds (4 and 7) start where gradient descent settles with
/// two of the four points at 0.5: a poor local minimum (loss ≈ ln 2 / 2), which is the seeds' lesson
/// about optimization; the command says so rather than changing the initialization.
/// </remarks>
public static class XorCommand
{
    public sealed record Options(int Epochs = 2000, float LearningRate = 0.5f, ulong Seed = 3, int ReportEvery = 200);

    /// <param name="FinalLoss">The loss after the last epoch.</param>
    /// <param name="Predictions">The outputs for 00, 01, 10, 11.</param>
    /// <param name="Stuck">Whether some prediction is on the wrong side of 0.5: the network did not learn XOR.</param>
    public sealed record Result(float FinalLoss, float[] Predictions, bool Stuck);

    private static readonly float[][] Inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
    private static readonly float[] Targets = [0, 1, 1, 0];

    internal static Command Build(Terminal console)
    {
        var defaults = new Options();
        var epochs = new Option<int>("--epochs") { Description = "epochs of full-batch gradient descent", DefaultValueFactory = _ => defaults.Epochs };
        var lr = new Option<float>("--lr") { Description = "learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var seed = new Option<ulong>("--seed") { Description = "seed of the initial weights", DefaultValueFactory = _ => defaults.Seed };
        var command = new Command("xor", "train the seeds' 2-2-1 network on XOR and print the loss and the four predictions") { epochs, lr, seed };
        command.SetAction(parse =>
        {
            int e = parse.GetValue(epochs);
            float rate = parse.GetValue(lr);
            if (e <= 0 || !(rate > 0 && float.IsFinite(rate)))
            {
                throw new ArgumentException($"xor: --epochs must be a positive integer and --lr a positive number; got {e} and {rate}");
            }
            Run(new Options(e, rate, parse.GetValue(seed)), console.Out);
            return 0;
        });
        return command;
    }

    public static Result Run(Options options, TextWriter output)
    {
        var rng = new Generator(options.Seed);
        float bound = 1f / MathF.Sqrt(2); // both layers have 2 inputs
        var w1 = Tensor.Uniform([2, 2], -bound, bound, rng, requiresGrad: true);
        var b1 = Tensor.Uniform([2], -bound, bound, rng, requiresGrad: true);
        var w2 = Tensor.Uniform([1, 2], -bound, bound, rng, requiresGrad: true);
        var b2 = Tensor.Uniform([1], -bound, bound, rng, requiresGrad: true);
        Tensor[] parameters = [w1, b1, w2, b2];

        var x = Tensor.From(Inputs);
        var t = Tensor.From(Targets, [4, 1]);
        Tensor Forward() => Ops.Sigmoid(Ops.Linear(Ops.Tanh(Ops.Linear(x, w1, b1)), w2, b2));

        output.WriteLine($"Training a 2-2-1 network on XOR: {options.Epochs} epochs, learning rate {options.LearningRate}, seed {options.Seed}");
        float loss = float.NaN;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var lossTensor = BinaryCrossEntropy(Forward(), t);
            loss = lossTensor.Item();
            lossTensor.Backward();
            using (Graph.NoGrad())
            {
                foreach (var p in parameters)
                {
                    Kernels.Elementwise.AddScaledInPlace(p.Data, p.Grad!.Data, -options.LearningRate);
                    p.ZeroGrad();
                }
            }
            if (epoch == 1 || epoch % options.ReportEvery == 0 || epoch == options.Epochs)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch,5}  loss {loss:0.000000}"));
            }
        }

        float[] predictions;
        using (Graph.NoGrad())
        {
            predictions = Forward().ToArray();
        }
        output.WriteLine("Predictions:");
        for (int i = 0; i < Inputs.Length; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Inputs[i][0]:0} XOR {Inputs[i][1]:0} = {Targets[i]:0}   predicted {predictions[i]:0.0000}"));
        }
        var wrong = Enumerable.Range(0, Inputs.Length).Where(i => Math.Abs(predictions[i] - Targets[i]) >= 0.5f).ToArray();
        if (wrong.Length > 0)
        {
            string points = string.Join(" and ", wrong.Select(i => $"{Inputs[i][0]:0} XOR {Inputs[i][1]:0}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"The network is stuck: {points} {(wrong.Length == 1 ? "is" : "are")} on the wrong side of 0.5 and the loss has settled at {loss:0.0000}.")
                + string.Create(CultureInfo.InvariantCulture, $" Gradient descent from seed {options.Seed}'s initial weights reached a poor local minimum,")
                + " where the gradient vanishes before the task is learned: which minimum it finds depends on where it starts."
                + " Try another --seed (the default, 3, learns XOR).");
        }
        return new Result(loss, predictions, wrong.Length > 0);
    }

    /// <summary>L = −mean(t·ln p + (1 − t)·ln(1 − p)), with p clamped away from 0 and 1.</summary>
    private static Tensor BinaryCrossEntropy(Tensor p, Tensor t)
    {
        var clamped = Ops.Clamp(p, 1e-7f, 1 - 1e-7f);
        var likelihood = t * Ops.Log(clamped) + (1f - t) * Ops.Log(1f - clamped);
        return -Ops.Mean(likelihood);
    }
}
