using System.Globalization;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Examples;

/// <summary>
/// Seed 001: "With sigmoid, gradients are multiplied by values less than 0.25 at each layer."
/// Builds a 10-layer network of width 64 twice — sigmoid with PyTorch's default initialization,
/// and ReLU with He initialization — and prints each layer's ‖∂L/∂W‖ at initialization.
/// </summary>
public static class VanishingGradients
{
    public const int Depth = 10, Width = 64;

    /// <summary>Per-layer gradient norms (input side first) for one batch, at initialization.</summary>
    public static (double[] Sigmoid, double[] Relu) Measure(ulong seed = 1)
    {
        var x = Tensor.Normal([128, Width], 0, 1, new Generator(seed));
        var sigmoid = Build(() => new Sigmoid(), heInit: false, seed);
        var relu = Build(() => new ReLU(), heInit: true, seed);
        Ops.Mean(sigmoid.Call(x)).Backward();
        Ops.Mean(relu.Call(x)).Backward();
        return (GradientFlow.WeightGradientNorms(sigmoid), GradientFlow.WeightGradientNorms(relu));
    }

    private static Sequential Build(Func<Module> activation, bool heInit, ulong seed)
    {
        var rng = new Generator(seed + 1);
        var layers = new List<Module>();
        for (int i = 0; i < Depth; i++)
        {
            var linear = new Linear(Width, i == Depth - 1 ? 1 : Width, rng: rng);
            if (heInit)
            {
                Init.KaimingNormal(linear.Weight, nonlinearity: "relu", rng: rng);
                Init.Zeros(linear.Bias!);
            }
            layers.Add(linear);
            if (i < Depth - 1)
            {
                layers.Add(activation());
            }
        }
        return new Sequential([.. layers]);
    }

    public static void Run(TextWriter output)
    {
        var (sigmoid, relu) = Measure();
        output.WriteLine($"Per-layer ‖∂L/∂W‖ at initialization, {Depth} layers of width {Width}:");
        output.WriteLine("layer   sigmoid (default init)   ReLU (He init)");
        for (int i = 0; i < Depth; i++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i + 1,5}   {sigmoid[i],22:0.000e+00}   {relu[i],14:0.000e+00}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first/last layer: sigmoid {sigmoid[0] / sigmoid[^1]:0.00e+00}, ReLU {relu[0] / relu[^1]:0.00e+00}"));
    }
}
