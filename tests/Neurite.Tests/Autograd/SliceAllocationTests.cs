using Neurite.Autograd;
using Neurite.Tensors;
using Xunit.Abstractions;

namespace Neurite.Tests.Autograd;

/// <summary>
/// A T-step round trip — split x [T, D] into steps, work on each, join them again, backward — must allocate O(T)
/// memory: each slice's backward adds its gradient into one gradient of x's shape, instead of making a zero tensor
/// of x's shape per slice (T² · D floats in all).
/// </summary>
public class SliceAllocationTests(ITestOutputHelper output)
{
    private const int D = 8;

    /// <summary>
    /// Per step the round trip makes a few dozen small objects and no array longer than D floats: tensors (about
    /// 100 bytes each with their shape arrays), nodes with their input arrays and closures, the D-float arrays of
    /// tanh and its backward, the views of Stack's backward, and the walk's dictionary and list entries. Measured:
    /// about 2.0 KB per step through Unbind, 2.6 KB through Slice and Reshape. The bound leaves room for other
    /// runtimes; a backward that made a zero gradient of x's shape per slice would spend 4·T·D bytes per step on
    /// the zeros alone, 64 KB at T = 2000 (the Slice of wave 1 measured 67 MB at T = 1000 and 263 MB at T = 2000).
    /// </summary>
    private const long BytesPerStepBound = 6 * 1024;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_round_trip_over_T_steps_allocates_linearly_in_T(bool viaSlice)
    {
        // Warm up both sizes: JIT, and the walk's reusable collections grown to their largest.
        Measure(2000, viaSlice);
        Measure(1000, viaSlice);
        long small = Math.Min(Measure(1000, viaSlice), Measure(1000, viaSlice));
        long large = Math.Min(Measure(2000, viaSlice), Measure(2000, viaSlice));
        double ratio = (double)large / small;
        output.WriteLine($"{(viaSlice ? "Slice" : "Unbind")}: T = 1000: {small} bytes ({small / 1000} per step); " +
            $"T = 2000: {large} bytes ({large / 2000} per step); ratio {ratio:F3}");
        Assert.True(ratio < 2.6, $"doubling T multiplied the bytes by {ratio:F2}: {small} -> {large}");
        Assert.True(large / 2000 < BytesPerStepBound, $"{large / 2000} bytes per step at T = 2000");
    }

    /// <summary>
    /// The measure itself tells linear from quadratic: the same round trip through a custom op whose backward
    /// makes a zero tensor of x's shape per slice (what Slice's backward did before) fails both bounds.
    /// </summary>
    [Fact]
    public void The_measure_catches_a_backward_that_allocates_a_full_gradient_per_slice()
    {
        Measure(1000, viaSlice: false, QuadraticRow);
        long small = Measure(1000, viaSlice: false, QuadraticRow);
        long large = Measure(2000, viaSlice: false, QuadraticRow);
        output.WriteLine($"quadratic: T = 1000: {small} bytes; T = 2000: {large} bytes; ratio {(double)large / small:F3}");
        Assert.True((double)large / small > 3.5);
        Assert.True(large / 2000 > BytesPerStepBound);
    }

    private static Tensor QuadraticRow(Tensor x, int t)
    {
        var row = Ops.Select(x.Detach(), 0, t).Clone();
        return Graph.Record(row, "QuadraticRow", [x], g =>
        {
            var dx = x.ZerosLike();
            g.Data.CopyTo(dx.Data.Slice(t * D, D));
            return [dx];
        });
    }

    /// <summary>
    /// Bytes allocated on this thread by forward and backward of Σ w ⊙ stack_t(tanh(x_t)), x [T, D], and checks
    /// ∂x = w·(1 − tanh²x).
    /// </summary>
    private static long Measure(int steps, bool viaSlice, Func<Tensor, int, Tensor>? row = null)
    {
        var gen = new Generator(3);
        var x = Tensor.Uniform([steps, D], -2f, 2f, gen, requiresGrad: true);
        var w = Tensor.Uniform([steps, D], -1f, 1f, gen);
        var outputs = new Tensor[steps];

        long before = GC.GetAllocatedBytesForCurrentThread();
        var rows = row is null && !viaSlice ? Ops.Unbind(x) : null;
        for (int t = 0; t < steps; t++)
        {
            var xt = row is not null ? row(x, t) : rows is not null ? rows[t] : Ops.Reshape(Ops.Slice(x, 0, t, t + 1), [D]);
            outputs[t] = Ops.Tanh(xt);
        }
        Ops.Sum(Ops.Mul(Ops.Stack(outputs), w)).Backward();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        var grad = x.Grad!.Data;
        for (int i = 0; i < grad.Length; i++)
        {
            float tanh = MathF.Tanh(x.Data[i]);
            Assert.Equal(w.Data[i] * (1 - tanh * tanh), grad[i], 1e-5f);
        }
        return bytes;
    }
}
