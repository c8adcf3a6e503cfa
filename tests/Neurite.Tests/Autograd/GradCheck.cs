using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Autograd;

/// <summary>
/// Finite-difference gradient checking, as torch.autograd.gradcheck: the analytic gradient of the
/// scalar L = Σ w ⊙ f(inputs), for a fixed random w, is compared with central differences
/// (L(x + h) − L(x − h)) / 2h for every element of every input. L is accumulated in double so that
/// the only float32 error is the op's own.
/// </summary>
internal static class GradCheck
{
    /// <summary>Checks every input that requires grad; also runs Backward twice and requires the same result.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double step = 1e-2, double atol = 2e-3, double rtol = 2e-2)
    {
        var probe = f(inputs);
        var weights = Tensor.Uniform(probe.Shape, -1f, 1f, new Generator(1234));

        var analytic = AnalyticGradients(f, inputs, weights);
        var again = AnalyticGradients(f, inputs, weights);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(analytic[i], again[i]);
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad)
            {
                continue;
            }
            var data = inputs[i].Data;
            for (int j = 0; j < data.Length; j++)
            {
                float original = data[j];
                double h = step * Math.Max(1.0, Math.Abs(original));
                data[j] = (float)(original + h);
                double plus = Objective(f, inputs, weights);
                data[j] = (float)(original - h);
                double minus = Objective(f, inputs, weights);
                data[j] = original;
                // Use the step actually taken after float rounding.
                double taken = (double)(float)(original + h) - (float)(original - h);
                double numeric = (plus - minus) / taken;
                double got = analytic[i]![j];
                Assert.True(Math.Abs(got - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"input {i} element {j} (value {original}): analytic {got}, numeric {numeric}");
            }
        }
    }

    private static float[]?[] AnalyticGradients(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor weights)
    {
        foreach (var input in inputs)
        {
            input.ZeroGrad();
        }
        var y = f(inputs);
        Assert.True(Shapes.SameShape(y.Shape, weights.Shape));
        Ops.Sum(Ops.Mul(y, weights)).Backward();
        return inputs.Select(input =>
        {
            if (!input.RequiresGrad)
            {
                return null;
            }
            // An input that does not influence the output may have no gradient: that means zero.
            return input.Grad?.ToArray() ?? new float[input.Count];
        }).ToArray();
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor weights)
    {
        using var noGrad = Graph.NoGrad();
        var y = f(inputs).Data;
        var w = weights.Data;
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += (double)y[i] * w[i];
        }
        return sum;
    }

    /// <summary>A leaf of uniform values in [low, high) that requires grad.</summary>
    public static Tensor Input(int[] shape, int seed, float low = -2f, float high = 2f) =>
        Tensor.Uniform(shape, low, high, new Generator((ulong)seed), requiresGrad: true);

    /// <summary>Like <see cref="Input"/>, with every value at least <paramref name="gap"/> from zero (for kinks at 0).</summary>
    public static Tensor AwayFromZero(int[] shape, int seed, float gap = 0.1f)
    {
        var t = Input(shape, seed);
        var data = t.Data;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = data[i] >= 0 ? data[i] + gap : data[i] - gap;
        }
        return t;
    }

    /// <summary>Distinct values (a shuffled, spaced ramp), so that max, min and sorting have no ties.</summary>
    public static Tensor Distinct(int[] shape, int seed)
    {
        var t = Tensor.Zeros(shape, requiresGrad: true);
        var order = new Generator((ulong)seed).Permutation(t.Count);
        for (int i = 0; i < order.Length; i++)
        {
            t.Data[i] = (order[i] - order.Length / 2f) * 0.25f;
        }
        return t;
    }
}
