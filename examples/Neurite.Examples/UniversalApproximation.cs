using System.Globalization;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Examples;

/// <summary>
/// The universal approximation theorem (seeds 000 and 001) in practice: one hidden ReLU layer of
/// width n is a sum of n hinges, a piecewise-linear curve with up to n kinks, so the wider the
/// layer, the closer it can follow sin(x) on [−π, π].
/// </summary>
public static class UniversalApproximation
{
    public static readonly int[] Widths = [2, 8, 32, 128];

    /// <summary>The largest |f(x) − sin x| over a fine grid, after fitting a width-n network.</summary>
    public static double MaxError(int width, int steps = 3000, ulong seed = 1)
    {
        var x = Grid(256);
        var y = Ops.Sin(x);
        var net = new Sequential(new Linear(1, width, rng: new Generator(seed)), new ReLU(), new Linear(width, 1, rng: new Generator(seed + 1)));
        var adam = new Adam(net.Parameters(), new AdamOptions(0.01));
        var scheduler = new LRScheduler(adam, new CosineAnnealingLR(steps));
        for (int step = 0; step < steps; step++)
        {
            adam.ZeroGrad();
            Losses.Mse(net.Call(x), y).Backward();
            adam.Step();
            scheduler.Step();
        }
        using (Graph.NoGrad())
        {
            var fine = Grid(2001);
            var error = Ops.Abs(net.Call(fine) - Ops.Sin(fine));
            return Ops.Max(error).Item();
        }
    }

    /// <summary>n evenly spaced points on [−π, π], as an [n, 1] batch.</summary>
    private static Tensor Grid(int n)
    {
        var x = Tensor.Zeros([n, 1]);
        for (int i = 0; i < n; i++)
        {
            x.Data[i] = (float)(-Math.PI + 2 * Math.PI * i / (n - 1));
        }
        return x;
    }

    public static void Run(TextWriter output)
    {
        output.WriteLine("One hidden ReLU layer fitting sin(x) on [−π, π] (256 points, 3000 Adam steps, cosine-annealed lr 0.01)");
        foreach (int width in Widths)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  width {width,3}: max |f(x) − sin x| = {MaxError(width):0.0000}"));
        }
    }
}
