using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Tests.Kernels;

/// <summary>The element-wise, reduction, softmax and strided kernels against plain scalar loops.</summary>
public class KernelTests
{
    private static float[] Random(int length, int seed)
    {
        var values = new float[length];
        new Generator((ulong)seed).FillUniform(values, -3f, 3f);
        return values;
    }

    [Fact]
    public void Saxpy_and_in_place_add_match_a_loop_for_every_length_up_to_256()
    {
        for (int length = 0; length <= 256; length++)
        {
            var x = Random(length, length);
            var destination = Random(length, length + 1000);
            var expected = destination.Select((d, i) => d + 0.5f * x[i]).ToArray();
            Elementwise.AddScaledInPlace(destination, x, 0.5f);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(expected[i], destination[i], 5);
            }
            var twice = x.ToArray();
            Elementwise.AddInPlace(twice, twice); // aliasing: destination is also the input
            Assert.Equal(x.Select(v => 2 * v).ToArray(), twice);
        }
    }

    [Fact]
    public void Relu_backward_matches_a_loop_for_every_length_up_to_256()
    {
        for (int length = 0; length <= 256; length++)
        {
            var g = Random(length, length);
            var x = Random(length, length + 500);
            if (length > 3)
            {
                (x[0], x[1], g[2], x[2], g[3], x[3]) = (0f, float.NaN, float.NaN, -1f, float.PositiveInfinity, -1f);
            }
            var destination = new float[length];
            Elementwise.ReluBackward(g, x, destination);
            // g·[x > 0]: 0 at x = 0 and at x = NaN; NaN where g is NaN or ∞ and x ≤ 0 (NaN·0, ∞·0), as g·mask.
            Assert.Equal(g.Select((v, i) => v * (x[i] > 0 ? 1f : 0f)).ToArray(), destination);
        }
        Assert.Throws<ArgumentException>(() => Elementwise.ReluBackward(new float[4], new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Elementwise.ReluBackward(new float[3], new float[4], new float[4]));
    }

    [Theory]
    [InlineData(257)]
    [InlineData(70_001)] // long enough to be split between threads
    public void Relu_and_its_backward_match_a_loop(int length)
    {
        var x = Random(length, 1);
        var g = Random(length, 2);
        (x[0], x[1], x[2]) = (0f, float.NaN, -0f);
        var y = new float[length];
        var dx = new float[length];
        Elementwise.Relu(x, y);
        Elementwise.ReluBackward(g, x, dx);
        Assert.Equal(x.Select(v => float.IsNaN(v) ? v : Math.Max(v, 0f)).ToArray(), y);
        Assert.Equal(g.Select((v, i) => v * (x[i] > 0 ? 1f : 0f)).ToArray(), dx);
        Assert.Throws<ArgumentException>(() => Elementwise.Relu(x, new float[length - 1]));
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(200, 784)] // large enough to be split between threads
    public void Row_gather_matches_a_loop(int count, int width)
    {
        var source = Random(1000 * width, count);
        var rows = new Generator((ulong)width).Permutation(1000)[..count];
        var destination = new float[count * width];
        RowGather.Gather(source, width, rows, destination);
        var expected = rows.SelectMany(r => source.Skip(r * width).Take(width)).ToArray();
        Assert.Equal(expected, destination);
        Assert.Throws<ArgumentException>(() => RowGather.Gather(source, width, [1000], destination));
        Assert.Throws<ArgumentException>(() => RowGather.Gather(source, width, rows, new float[count * width - 1]));
    }

    [Fact]
    public void Strided_runs_copy_and_add_back_as_a_loop_does()
    {
        // (outer, size, inner, from, length, step), the leading-axis and whole-block single runs included.
        int[][] cases =
        [
            [1, 5, 3, 1, 3, 1], [1, 5, 3, 4, 1, 2], [2, 5, 3, 0, 3, 2], [3, 4, 2, 1, 2, 1], [2, 4, 3, 0, 4, 1],
            [4, 1, 7, 0, 1, 1], [2, 6, 1, 5, 1, 3], [2, 3, 4, 2, 0, 1], [1, 9, 17, 2, 3, 3], [0, 3, 2, 0, 2, 1],
        ];
        foreach (var c in cases)
        {
            var (outer, size, inner, from, length, step) = (c[0], c[1], c[2], c[3], c[4], c[5]);
            var x = Random(outer * size * inner, outer + size + inner);
            var packed = new float[outer * length * inner];
            Strided.CopyRuns(x, outer, size, inner, from, length, step, packed);
            var expectedAdd = (float[])x.Clone();
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < length; i++)
                {
                    for (int j = 0; j < inner; j++)
                    {
                        int at = ((o * size) + from + (i * step)) * inner + j;
                        Assert.Equal(x[at], packed[((o * length) + i) * inner + j]);
                        expectedAdd[at] += packed[((o * length) + i) * inner + j];
                    }
                }
            }
            Strided.AddRuns(packed, outer, size, inner, from, length, step, x);
            Assert.Equal(expectedAdd, x);
        }
        Assert.Throws<ArgumentException>(() => Strided.CopyRuns(new float[15], 1, 5, 3, 3, 2, 2, new float[6]));
        Assert.Throws<ArgumentException>(() => Strided.CopyRuns(new float[14], 1, 5, 3, 0, 2, 1, new float[6]));
        Assert.Throws<ArgumentException>(() => Strided.AddRuns(new float[5], 1, 5, 3, 0, 2, 1, new float[15]));
        Assert.Throws<ArgumentException>(() => Strided.AddRuns(new float[6], 1, 5, 3, 0, 2, 0, new float[15]));
    }

    [Fact]
    public void Tanh_is_correctly_rounded_near_zero_and_elsewhere_at_every_length()
    {
        // TensorPrimitives.Tanh on float gives tanh(0) = −6e-8 and tanh(1e-4) off by 3e-5 relative once it vectorizes.
        float[] special = [0f, -0f, 1e-30f, 1e-7f, -1e-7f, 1e-4f, -2.4e-4f, 0.01f, 0.3f, -5f, 9f, 100f, float.NaN];
        foreach (int length in new[] { 1, 3, 4, 8, 17, 300 })
        {
            var x = Random(length, length);
            special.AsSpan(0, Math.Min(special.Length, length)).CopyTo(x);
            var y = new float[length];
            Elementwise.Tanh(x, y);
            for (int i = 0; i < length; i++)
            {
                float expected = (float)Math.Tanh(x[i]);
                bool ok = float.IsNaN(expected) ? float.IsNaN(y[i])
                    : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[i]) || Math.Abs(y[i] - expected) <= 6e-8 * Math.Abs(expected);
                Assert.True(ok,
                    $"length {length}: tanh({x[i]:R}) = {y[i]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void Kernels_refuse_destinations_that_are_too_short()
    {
        Assert.Throws<ArgumentException>(() => Elementwise.AddInPlace(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Reductions.Sum(new float[6], 2, 3, 1, new float[1]));
        Assert.Throws<ArgumentException>(() => Reductions.Sum(new float[5], 2, 3, 1, new float[2]));
        Assert.Throws<ArgumentException>(() => Softmax.Forward(new float[6], 2, 3, 1, new float[5], log: false));
    }

    [Fact]
    public void Broadcast_driver_matches_index_arithmetic()
    {
        int[][] xShapes = [[3, 1, 5], [1, 4, 1], [4, 5], [], [3, 4, 5]];
        int[][] yShapes = [[1, 4, 5], [3, 1, 5], [3, 1, 1], [3, 4, 5], [5]];
        for (int c = 0; c < xShapes.Length; c++)
        {
            var shape = Shapes.Broadcast(xShapes[c], yShapes[c], "test");
            var x = Random((int)Shapes.CountOf(xShapes[c], "test"), c);
            var y = Random((int)Shapes.CountOf(yShapes[c], "test"), c + 50);
            var destination = new float[(int)Shapes.CountOf(shape, "test")];
            var xStrides = Shapes.BroadcastStrides(xShapes[c], shape);
            var yStrides = Shapes.BroadcastStrides(yShapes[c], shape);
            Elementwise.Broadcast<SubtractOperator>(x, xStrides, y, yStrides, shape, destination);
            var strides = Shapes.Strides(shape);
            for (int flat = 0; flat < destination.Length; flat++)
            {
                int xi = 0, yi = 0;
                for (int axis = 0; axis < shape.Length; axis++)
                {
                    int index = flat / strides[axis] % shape[axis];
                    xi += index * xStrides[axis];
                    yi += index * yStrides[axis];
                }
                Assert.Equal(x[xi] - y[yi], destination[flat]);
            }
        }
    }

    [Fact]
    public void Reductions_match_loops_for_every_row_length_up_to_256()
    {
        for (int n = 1; n <= 256; n++)
        {
            foreach (var (outer, inner) in new[] { (1, 1), (2, 1), (2, 3) })
            {
                var x = Random(outer * n * inner, n);
                var sum = new float[outer * inner];
                var max = new float[outer * inner];
                var min = new float[outer * inner];
                var argMax = new float[outer * inner];
                Reductions.Sum(x, outer, n, inner, sum);
                Reductions.Max(x, outer, n, inner, max);
                Reductions.Min(x, outer, n, inner, min);
                Reductions.ArgExtremum(x, outer, n, inner, argMax, isMax: true);
                for (int o = 0; o < outer; o++)
                {
                    for (int j = 0; j < inner; j++)
                    {
                        var column = Enumerable.Range(0, n).Select(i => x[(o * n + i) * inner + j]).ToArray();
                        double exact = column.Sum(v => (double)v), scale = column.Sum(v => Math.Abs((double)v));
                        Assert.True(Math.Abs(exact - sum[o * inner + j]) <= 1e-6 * scale, $"n {n}: {sum[o * inner + j]} vs {exact}");
                        Assert.Equal(column.Max(), max[o * inner + j]);
                        Assert.Equal(column.Min(), min[o * inner + j]);
                        Assert.Equal(Array.IndexOf(column, column.Max()), (int)argMax[o * inner + j]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Reductions_propagate_nan()
    {
        float[] x = [1f, float.NaN, 3f, 4f];
        var result = new float[1];
        Reductions.Max(x, 1, 4, 1, result);
        Assert.True(float.IsNaN(result[0]));
        Reductions.Min(x, 1, 4, 1, result);
        Assert.True(float.IsNaN(result[0]));
        Reductions.Sum(x, 1, 4, 1, result);
        Assert.True(float.IsNaN(result[0]));
        Reductions.ArgExtremum(x, 1, 4, 1, result, isMax: true);
        Assert.Equal(1f, result[0]);
    }

    [Fact]
    public void Softmax_matches_the_definition_along_rows_and_columns()
    {
        foreach (var (outer, n, inner) in new[] { (1, 1, 1), (3, 7, 1), (2, 5, 3), (1, 256, 1), (2, 300, 1) })
        {
            var x = Random(outer * n * inner, n);
            var soft = new float[x.Length];
            var logSoft = new float[x.Length];
            Softmax.Forward(x, outer, n, inner, soft, log: false);
            Softmax.Forward(x, outer, n, inner, logSoft, log: true);
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < inner; j++)
                {
                    double total = Enumerable.Range(0, n).Sum(i => Math.Exp(x[(o * n + i) * inner + j]));
                    for (int i = 0; i < n; i++)
                    {
                        int at = (o * n + i) * inner + j;
                        Assert.Equal(Math.Exp(x[at]) / total, soft[at], 5);
                        Assert.Equal(x[at] - Math.Log(total), logSoft[at], 4);
                    }
                }
            }
            var inPlace = x.ToArray();
            Softmax.Forward(inPlace, outer, n, inner, inPlace, log: false); // aliasing
            Assert.Equal(soft, inPlace);
        }
    }

    [Fact]
    public void Strided_copy_transposes_and_broadcasts()
    {
        float[] x = [1, 2, 3, 4, 5, 6]; // [2, 3]
        var transposed = new float[6];
        Strided.Copy(x, [1, 3], [3, 2], transposed);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], transposed);
        var repeated = new float[6];
        Strided.Copy(x, [0, 1], [2, 3], repeated); // row 0 twice
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], repeated);
        var columns = new float[6];
        Strided.Copy(x, [3, 0], [2, 3], columns); // first element of each row, repeated
        Assert.Equal([1f, 1f, 1f, 4f, 4f, 4f], columns);
    }
}
