using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>How gradients reach each layer: the measurements behind the seeds' vanishing-gradient story.</summary>
public static class GradientFlow
{
    /// <summary>
    /// ‖∂L/∂W‖₂ (Frobenius) of every Linear layer's weight in <paramref name="model"/>, input side
    /// first, after a Backward. A layer without a gradient reports 0.
    /// </summary>
    public static double[] WeightGradientNorms(Module model) =>
        Linears(model).Select(layer => layer.Weight.GradInternal is { } g ? Norm(g) : 0.0).ToArray();

    private static IEnumerable<Linear> Linears(Module module)
    {
        if (module is Linear linear)
        {
            yield return linear;
        }
        foreach (var (_, child) in module.NamedChildren())
        {
            foreach (var inner in Linears(child))
            {
                yield return inner;
            }
        }
    }

    private static double Norm(Tensor t)
    {
        double sum = 0;
        foreach (float v in t.Data)
        {
            sum += (double)v * v;
        }
        return Math.Sqrt(sum);
    }
}
