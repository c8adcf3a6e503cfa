using System.Runtime.Intrinsics;
using Neurite.Kernels;

namespace Neurite.Tests.Kernels;

/// <summary>The lane activations of the recurrent kernels against double-precision math, on every width.</summary>
public class LanesTests
{
    public static TheoryData<int> Widths()
    {
        var widths = new TheoryData<int> { 1 };
        if (Vector256.IsHardwareAccelerated)
        {
            widths.Add(256);
        }
        if (Vector512.IsHardwareAccelerated)
        {
            widths.Add(512);
        }
        return widths;
    }

    /// <summary>−100 … 100 in steps of 1/64, then the values where the formulas change: saturation, ±∞, NaN, ±0.</summary>
    private static readonly float[] Inputs =
    [
        .. Enumerable.Range(-6400, 12801).Select(i => i / 64f),
        -87.3f, 88.3f, -88f, 89f, 1e-8f, -1e-8f, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e30f, -1e30f,
    ];

    private enum Function
    {
        Exp,
        Sigmoid,
        Tanh,
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp_is_within_two_ulp_in_range_saturates_outside_and_keeps_nan(int width)
    {
        var y = Apply(width, Function.Exp);
        for (int i = 0; i < Inputs.Length; i++)
        {
            double x = Inputs[i], expected = Math.Exp(Math.Clamp(x, -87.3f, 88.3f));
            if (double.IsNaN(x))
            {
                Assert.True(float.IsNaN(y[i]));
                continue;
            }
            Assert.True(Math.Abs(y[i] - expected) <= 2.4e-7 * expected, $"exp({x}) = {y[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Sigmoid_and_tanh_are_within_float_rounding_and_saturate(int width)
    {
        var sigmoid = Apply(width, Function.Sigmoid);
        var tanh = Apply(width, Function.Tanh);
        for (int i = 0; i < Inputs.Length; i++)
        {
            double x = Inputs[i];
            if (double.IsNaN(x))
            {
                Assert.True(float.IsNaN(sigmoid[i]) && float.IsNaN(tanh[i]));
                continue;
            }
            double s = 1 / (1 + Math.Exp(-x)), t = Math.Tanh(x);
            // σ is within a few ulp of its value; tanh = 1 − 2/(e^2x + 1) is within a few ulp of 1 near 0.
            Assert.True(Math.Abs(sigmoid[i] - s) <= 4e-7 * s + 1e-38, $"sigmoid({x}) = {sigmoid[i]}, expected {s}");
            Assert.True(Math.Abs(tanh[i] - t) <= 2.5e-7, $"tanh({x}) = {tanh[i]}, expected {t}");
        }
    }

    private static float[] Apply(int width, Function function) => width switch
    {
        512 => Apply<Lanes512>(function),
        256 => Apply<Lanes256>(function),
        _ => Apply<Lane>(function),
    };

    private static unsafe float[] Apply<T>(Function function)
        where T : struct, ILanes<T>
    {
        int count = (Inputs.Length + T.Count - 1) / T.Count * T.Count;
        var x = new float[count];
        var y = new float[count];
        Inputs.CopyTo(x, 0);
        fixed (float* px = x, py = y)
        {
            for (int i = 0; i < count; i += T.Count)
            {
                var v = T.Load(px + i);
                var result = function switch
                {
                    Function.Exp => T.Exp(v),
                    Function.Sigmoid => T.Sigmoid(v),
                    _ => T.Tanh(v),
                };
                result.Store(py + i);
            }
        }
        return y[..Inputs.Length];
    }
}
