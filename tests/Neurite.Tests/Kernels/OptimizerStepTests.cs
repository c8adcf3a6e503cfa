using Neurite.Kernels;
using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Tests.Kernels;

/// <summary>
/// The fused optimizer passes against the multi-pass TensorPrimitives sequence they replace (PyTorch's in-place ops
/// one by one), bit for bit, for every length 0..100: the vector loop and the scalar tail both run.
/// </summary>
public class OptimizerStepTests
{
    private static float[] Random(int length, int seed, float low = -3f, float high = 3f)
    {
        var values = new float[length];
        new Generator((ulong)seed).FillUniform(values, low, high);
        return values;
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.01f, false)]
    [InlineData(0f, true)]
    public void Adam_pass_equals_the_sequence_of_in_place_ops(float weightDecay, bool amsgrad)
    {
        var s = new OptimizerSteps.AdamScalars(0.9f, 0.1f, 0.999f, 0.001f, 0.05f, 1e-8f, -0.003f, weightDecay);
        for (int n = 0; n <= 100; n++)
        {
            var p = Random(n, n);
            var g = Random(n, n + 1);
            var m = Random(n, n + 2);
            var v = Random(n, n + 3, 0f, 2f);
            var vMax = Random(n, n + 4, 0f, 2f);
            var (p2, m2, v2, vMax2) = (p.ToArray(), m.ToArray(), v.ToArray(), vMax.ToArray());

            OptimizerSteps.Adam(p, g, m, v, amsgrad ? vMax : [], s);

            var d = g.ToArray();
            if (weightDecay != 0)
            {
                TensorPrimitives.FusedMultiplyAdd(p2, weightDecay, g, d);
            }
            TensorPrimitives.Multiply(m2, s.Beta1, m2);
            TensorPrimitives.FusedMultiplyAdd(d, s.OneMinusBeta1, m2, m2);
            var scaled = new float[n];
            TensorPrimitives.Multiply(v2, s.Beta2, v2);
            TensorPrimitives.Multiply(d, s.OneMinusBeta2, scaled);
            TensorPrimitives.FusedMultiplyAdd(scaled, d, v2, v2);
            var second = v2;
            if (amsgrad)
            {
                TensorPrimitives.Max(vMax2, v2, vMax2);
                second = vMax2;
            }
            var denominator = new float[n];
            TensorPrimitives.Sqrt(second, denominator);
            TensorPrimitives.Divide(denominator, s.BiasCorrection2Sqrt, denominator);
            TensorPrimitives.Add(denominator, s.Eps, denominator);
            var step = new float[n];
            TensorPrimitives.Multiply(m2, s.NegativeStepSize, step);
            TensorPrimitives.Divide(step, denominator, step);
            TensorPrimitives.Add(p2, step, p2);

            Assert.Equal(p2, p);
            Assert.Equal(m2, m);
            Assert.Equal(v2, v);
            Assert.Equal(vMax2, vMax);
        }
    }

    [Theory]
    [InlineData(0f, 0f, 0f, false, false)]
    [InlineData(0.9f, 0f, 0f, false, true)]
    [InlineData(0.9f, 0.1f, 0.01f, false, false)]
    [InlineData(0.9f, 0f, 0.01f, true, false)]
    public void Sgd_pass_equals_the_sequence_of_in_place_ops(float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        const float Lr = 0.05f;
        for (int n = 0; n <= 100; n++)
        {
            var p = Random(n, n);
            var g = Random(n, n + 1);
            var b = momentum != 0 ? Random(n, n + 2) : [];
            var (p2, b2) = (p.ToArray(), b.ToArray());

            OptimizerSteps.Sgd(p, g, b, firstStep, Lr, momentum, dampening, weightDecay, nesterov);

            var d = g.ToArray();
            if (weightDecay != 0)
            {
                TensorPrimitives.FusedMultiplyAdd(p2, weightDecay, g, d);
            }
            if (momentum != 0)
            {
                if (firstStep)
                {
                    d.CopyTo(b2, 0);
                }
                else
                {
                    TensorPrimitives.Multiply(b2, momentum, b2);
                    TensorPrimitives.FusedMultiplyAdd(d, 1 - dampening, b2, b2);
                }
                if (nesterov)
                {
                    TensorPrimitives.FusedMultiplyAdd(b2, momentum, d, d);
                }
                else
                {
                    d = b2;
                }
            }
            TensorPrimitives.FusedMultiplyAdd(d, -Lr, p2, p2);

            Assert.Equal(p2, p);
            Assert.Equal(b2, b);
        }
    }

    [Fact]
    public void Passes_refuse_spans_of_other_lengths()
    {
        var s = new OptimizerSteps.AdamScalars(0.9f, 0.1f, 0.999f, 0.001f, 1f, 1e-8f, -0.001f, 0f);
        Assert.Throws<ArgumentException>(() => OptimizerSteps.Adam(new float[4], new float[3], new float[4], new float[4], [], s));
        Assert.Throws<ArgumentException>(() => OptimizerSteps.Adam(new float[4], new float[4], new float[4], new float[4], new float[2], s));
        Assert.Throws<ArgumentException>(() => OptimizerSteps.Sgd(new float[4], new float[4], new float[5], false, 0.1f, 0.9f, 0f, 0f, false));
    }
}

/// <summary>Large updates split between threads give the same bits as on one thread.</summary>
[Collection(GlobalSettingsCollection.Name)]
public class OptimizerStepThreadingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Split_updates_equal_single_thread_updates(bool amsgrad)
    {
        const int N = 70_001; // above the threshold, and not a multiple of the slab tile
        var s = new OptimizerSteps.AdamScalars(0.9f, 0.1f, 0.999f, 0.001f, 0.05f, 1e-8f, -0.003f, 0.01f);
        float[] Values(int seed, float low)
        {
            var values = new float[N];
            new Generator((ulong)seed).FillUniform(values, low, 2f);
            return values;
        }
        var results = new List<float[]>();
        int previous = Parallelism.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxThreads = threads;
                var (p, g, m, v, vMax) = (Values(1, -2f), Values(2, -2f), Values(3, -2f), Values(4, 0f), Values(5, 0f));
                OptimizerSteps.Adam(p, g, m, v, amsgrad ? vMax : [], s);
                var (q, b) = (Values(1, -2f), Values(6, -2f));
                OptimizerSteps.Sgd(q, g, b, firstStep: false, 0.05f, 0.9f, 0.1f, 0.01f, nesterov: true);
                var r = Values(1, -2f);
                OptimizerSteps.Sgd(r, g, [], firstStep: false, 0.05f, 0f, 0f, 0f, nesterov: false);
                results.Add([.. p, .. m, .. v, .. vMax, .. q, .. b, .. r]);
            }
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
        Assert.Equal(results[0], results[1]);
    }
}
