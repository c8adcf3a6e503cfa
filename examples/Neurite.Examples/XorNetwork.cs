using System.Globalization;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Examples;

/// <summary>
/// Seed 001's XOR: no single line separates it, but a 2-2-1 network — two tanh units that each
/// draw a line, and a sigmoid that combines them — does. Built from modules, trained with SGD and
/// momentum on binary cross-entropy.
/// </summary>
public static class XorNetwork
{
    public static readonly float[][] Inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
    public static readonly float[] Targets = [0, 1, 1, 0];

    public sealed record Result(float Loss, float[] Predictions);

    public static Result Fit(int epochs = 500, ulong seed = 1)
    {
        var rng = new Generator(seed);
        var net = new Sequential(new Linear(2, 2, rng: rng), new Tanh(), new Linear(2, 1, rng: rng), new Sigmoid());
        var sgd = new SGD(net.Parameters(), new SGDOptions(0.5, Momentum: 0.9));
        var x = Tensor.From(Inputs);
        var t = Tensor.From(Targets, [4, 1]);
        float loss = float.NaN;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            sgd.ZeroGrad();
            var l = Losses.BinaryCrossEntropy(net.Call(x), t);
            l.Backward();
            sgd.Step();
            loss = l.Item();
        }
        using (Graph.NoGrad())
        {
            return new Result(loss, net.Call(x).ToArray());
        }
    }

    public static void Run(TextWriter output)
    {
        var r = Fit();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"2-2-1 network (tanh, sigmoid) on XOR, 500 epochs of SGD with momentum 0.9: loss {r.Loss:0.0000}"));
        for (int i = 0; i < Inputs.Length; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Inputs[i][0]:0} XOR {Inputs[i][1]:0} = {Targets[i]:0}   predicted {r.Predictions[i]:0.0000}"));
        }
    }
}
