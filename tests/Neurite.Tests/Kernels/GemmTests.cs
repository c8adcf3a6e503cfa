using Neurite.Kernels;

namespace Neurite.Tests.Kernels;

/// <summary>Tests that change process-wide settings (<see cref="Gemm.ForcedPath"/>, <see cref="Parallelism.MaxThreads"/>)
/// run alone: xunit runs collections without parallelization after all the others, one test at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalSettingsCollection
{
    public const string Name = "Global kernel settings";
}

[Collection(GlobalSettingsCollection.Name)]
public class GemmTests
{
    private static readonly GemmPath[] SupportedPaths =
        [.. new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported)];

    public static TheoryData<GemmPath> Paths() => [.. SupportedPaths];

    /// <summary>Every supported path × transposes × sizes: cubes, each ordering of 7, 257, 33, few-row or tiny
    /// products that take the unpacked path, and small packed ones whose edge tiles are several vectors wide.</summary>
    public static TheoryData<GemmPath, bool, bool, int, int, int> Shapes()
    {
        (int, int, int)[] sizes =
            [(1, 1, 1), (7, 7, 7), (33, 33, 33), (257, 257, 257), (7, 257, 33), (7, 33, 257), (257, 7, 33),
             (257, 33, 7), (33, 7, 257), (33, 257, 7), (1, 784, 256), (16, 15, 14), (3, 70, 45), (4, 33, 257),
             (64, 64, 64), (29, 45, 64), (20, 52, 24)];
        var data = new TheoryData<GemmPath, bool, bool, int, int, int>();
        foreach (var path in SupportedPaths)
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    foreach (var (m, n, k) in sizes)
                    {
                        data.Add(path, transA, transB, m, n, k);
                    }
                }
            }
        }
        return data;
    }

    [Fact]
    public void Multiplies_two_by_two()
    {
        // [[1,2],[3,4]]·[[5,6],[7,8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]]
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_reference(GemmPath path, bool transA, bool transB, int m, int n, int k)
    {
        WithPath(path, () =>
        {
            Check(transA, transB, m, n, k, alpha: 1f, beta: 0f, padding: 0, seed: 1);
            // alpha, beta ≠ 1, 0 on submatrices: every leading dimension longer than its row.
            Check(transA, transB, m, n, k, alpha: -1.5f, beta: 0.75f, padding: 5, seed: 2);
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Beta_zero_does_not_read_c(GemmPath path)
    {
        WithPath(path, () =>
        {
            foreach (var (transA, transB) in new[] { (false, false), (true, true) })
            {
                // Check fills C with NaN when beta is 0; any read of it would show in the result.
                Check(transA, transB, 37, 45, 19, alpha: 2f, beta: 0f, padding: 3, seed: 3);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void K_zero_scales_c_by_beta(GemmPath path)
    {
        WithPath(path, () =>
        {
            float[] c = [1, 2, float.NaN, 3, 4, float.NaN];
            Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 0, [], 2, 0.5f, c, 3);
            Assert.Equal([0.5f, 1f, float.NaN, 1.5f, 2f, float.NaN], c);

            c = [float.NaN, float.NaN];
            Gemm.Multiply(true, true, 1, 2, 0, 1f, [], 1, [], 0, 0f, c, 2);
            Assert.Equal([0f, 0f], c);
        });
    }

    [Fact]
    public void Empty_m_or_n_leaves_c_alone()
    {
        float[] c = [7];
        Gemm.Multiply(false, false, 0, 1, 3, 1f, [], 3, [1, 2, 3], 1, 0f, c, 1);
        Gemm.Multiply(false, false, 1, 0, 3, 1f, [1, 2, 3], 3, [], 0, 0f, c, 1);
        Assert.Equal([7f], c);
    }

    /// <summary>Several cache blocks along every dimension, on one and on two threads.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Large_matches_reference_on_one_and_two_threads(GemmPath path)
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            WithPath(path, () =>
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.MaxThreads = threads;
                    Check(false, false, 300, 700, 520, alpha: 1f, beta: 0f, padding: 0, seed: 4);
                    Check(true, true, 700, 300, 520, alpha: 0.5f, beta: -1f, padding: 1, seed: 5);
                }
                Check(false, true, 300, 700, 520, alpha: 1f, beta: 1f, padding: 0, seed: 6);
                Check(true, false, 700, 300, 520, alpha: 1f, beta: 0f, padding: 0, seed: 7);
            });
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    /// <summary>Unpacked products of a few rows big enough to split their columns of C between two threads.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Few_row_products_split_between_threads_match_reference(GemmPath path)
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            WithPath(path, () =>
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.MaxThreads = threads;
                    Check(false, true, 1, 257, 785, alpha: 1f, beta: 0f, padding: 0, seed: 8);
                    Check(false, false, 3, 261, 400, alpha: 0.5f, beta: 1f, padding: 3, seed: 9);
                    Check(true, false, 2, 300, 390, alpha: 1f, beta: -1f, padding: 1, seed: 10);
                }
            });
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    /// <summary>
    /// Once its packing buffers exist, a call allocates nothing: a small product takes microseconds, and garbage on every
    /// call (the argument checks once built their messages eagerly) ran the collector every few milliseconds.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Repeated_small_products_allocate_nothing(GemmPath path)
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            WithPath(path, () =>
            {
                foreach (var (m, n, k, transB) in new[] { (64, 64, 64, false), (1, 256, 784, true), (37, 45, 19, true) })
                {
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    void Once() => Gemm.Multiply(false, transB, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n);
                    Once();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    Once();
                    Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
                }
            });
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    [Fact]
    public void Auto_resolves_to_a_supported_path()
    {
        WithPath(GemmPath.Auto, () =>
        {
            Assert.NotEqual(GemmPath.Auto, Gemm.ActivePath);
            Assert.True(Gemm.IsSupported(Gemm.ActivePath));
            Assert.Equal(SupportedPaths[0], Gemm.ActivePath);
        });
    }

    [Fact]
    public void Unsupported_forced_path_throws()
    {
        var unsupported = new[] { GemmPath.Avx512, GemmPath.Avx2 }.Where(p => !Gemm.IsSupported(p)).ToArray();
        foreach (var path in unsupported)
        {
            Assert.Throws<NotSupportedException>(() => Gemm.ForcedPath = path);
        }
        Assert.True(Gemm.IsSupported(GemmPath.Scalar));
    }

    [Theory]
    [InlineData(null, GemmPath.Auto)]
    [InlineData("", GemmPath.Auto)]
    [InlineData("auto", GemmPath.Auto)]
    [InlineData("SCALAR", GemmPath.Scalar)]
    public void Path_variable_parses(string? value, GemmPath expected) =>
        Assert.Equal(expected, Gemm.ParsePathVariable(value));

    [Theory]
    [InlineData("avx1024")]
    [InlineData("7")]
    public void Path_variable_rejects_unknown_values(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.ParsePathVariable(value));
        Assert.Contains("NEURITE_GEMM_PATH", e.Message);
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_argument()
    {
        float[] a = new float[6], b = new float[12], c = new float[8];

        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply(false, false, -1, 4, 3, 1f, a, 3, b, 4, 0f, c, 4)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply(false, false, 2, 4, -3, 1f, a, 3, b, 4, 0f, c, 4)).ParamName);

        // A is 2×3: lda must be at least 3.
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, 1f, a, 2, b, 4, 0f, c, 4));
        Assert.Equal("lda", e.ParamName);
        Assert.Contains("lda = 2", e.Message);
        Assert.Contains("2×3", e.Message);

        // Transposed, A is stored 3×2: 3 rows of lda 3 need (3-1)·3+2 = 8 > 6 elements.
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(true, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 4));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("needs 8", e.Message);

        // B stored 4×3 when transposed: ldb 2 < 3 columns.
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 4, 3, 1f, a, 3, b, 2, 0f, c, 4));
        Assert.Equal("ldb", e.ParamName);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, 1f, a, 3, b.AsSpan(1), 4, 0f, c, 4));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("11 elements", e.Message);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 3));
        Assert.Equal("ldc", e.ParamName);

        // C is 2×4 with ldc 5: needs 5+4 = 9 > 8.
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 5));
        Assert.Equal("c", e.ParamName);
        Assert.Contains("needs 9", e.Message);
    }

    private static void WithPath(GemmPath path, Action body)
    {
        var previous = Gemm.ForcedPath;
        try
        {
            Gemm.ForcedPath = path;
            Assert.Equal(path == GemmPath.Auto ? Gemm.ActivePath : path, Gemm.ActivePath);
            body();
        }
        finally
        {
            Gemm.ForcedPath = previous;
        }
    }

    /// <summary>
    /// Runs Gemm on seeded uniform(−1, 1) operands stored with row strides `padding` longer than needed and
    /// compares with a triple loop in double. Error bound: each of the k+1 float roundings per element is at
    /// most ε relative to the running sum, so |error| ≤ ~(k + 2)·ε·Σₚ|alpha·a·b| + |beta·c|.
    /// </summary>
    private static void Check(bool transA, bool transB, int m, int n, int k, float alpha, float beta, int padding, int seed)
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padding, ldb = bCols + padding, ldc = n + padding;
        float[] a = Random(rng, aRows * lda), b = Random(rng, bRows * ldb), c = Random(rng, m * ldc);
        if (beta == 0)
        {
            Array.Fill(c, float.NaN);
        }
        float[] original = (float[])c.Clone();

        Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                    sum += product;
                    magnitude += Math.Abs(product);
                }
                double cij = beta == 0 ? 0 : beta * (double)original[i * ldc + j];
                double expected = alpha * sum + cij;
                double tolerance = (k + 2) * 1.2e-7 * (Math.Abs(alpha) * magnitude + Math.Abs(cij)) + 1e-30;
                double actual = c[i * ldc + j];
                if (!(Math.Abs(actual - expected) <= tolerance))
                {
                    Assert.Fail($"C[{i},{j}] = {actual}, expected {expected} ± {tolerance} " +
                        $"(path {Gemm.ActivePath}, transA {transA}, transB {transB}, m {m}, n {n}, k {k}, threads {Parallelism.MaxThreads})");
                }
            }
            // Padding between rows of C is never written.
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
            {
                Assert.Equal(original[i * ldc + j], c[i * ldc + j]);
            }
        }
    }

    private static float[] Random(Random rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }
}
