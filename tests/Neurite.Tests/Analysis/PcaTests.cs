using Neurite.Analysis;
using Neurite.Tensors;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Analysis;

/// <summary>PCA against numpy's eigendecomposition (tests/reference/gen_pca.py), and the k-nearest-neighbour classifier on hand-worked cases.</summary>
public sealed class PcaTests
{
    public static TheoryData<string> Cases => Fixture.CaseNames("pca.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pca_matches_numpy(string name)
    {
        var c = Fixture.Case("pca.json", name);
        int k = c.GetProperty("components").GetInt32();
        var x = Fixture.ReadTensor(c.GetProperty("x"));
        var pca = Pca.Fit(x, k);

        // The covariance is summed in float32 by the GEMM, numpy's in float64: agreement to about 1e-5 of the scale.
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("mean")), pca.Mean, $"{name}: mean", 1e-5, 1e-5);
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("axes")), pca.Components, $"{name}: axes", 1e-3, 1e-4);
        var variance = c.GetProperty("explained_variance").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var ratio = c.GetProperty("explained_variance_ratio").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < k; i++)
        {
            Assert.True(Math.Abs(pca.ExplainedVariance[i] - variance[i]) <= 1e-5 * variance[0], $"{name}: variance {i} is {pca.ExplainedVariance[i]}, numpy {variance[i]}");
            Assert.True(Math.Abs(pca.ExplainedVarianceRatio[i] - ratio[i]) <= 1e-5, $"{name}: ratio {i} is {pca.ExplainedVarianceRatio[i]}, numpy {ratio[i]}");
        }
        var expected = Fixture.ReadTensor(c.GetProperty("transform"));
        float scale = expected.Data.ToArray().Max(MathF.Abs);
        Fixture.AssertClose(expected, pca.Transform(x), $"{name}: transform", 1e-3, 1e-4 * scale);
    }

    [Fact]
    public void Pca_rejects_bad_shapes_naming_them()
    {
        Assert.Contains("[1, 3]", Assert.Throws<ArgumentException>(() => Pca.Fit(Tensor.Zeros([1, 3]), 1)).Message);
        Assert.Contains("1 … 3", Assert.Throws<ArgumentException>(() => Pca.Fit(Tensor.Zeros([4, 3]), 4)).Message);
        var pca = Pca.Fit(Tensor.From([1f, 2, 3, 5, 4, 4, 0, 1, 2], [3, 3]), 2);
        Assert.Contains("[2, 2]", Assert.Throws<ArgumentException>(() => pca.Transform(Tensor.Zeros([2, 2]))).Message);
    }

    [Fact]
    public void Nearest_neighbours_vote_by_count_then_by_the_nearest_member()
    {
        // Points on a line at 0, 1, 2, 10, 11 with classes 0, 0, 1, 1, 2.
        var points = Tensor.From([0f, 0, 1, 0, 2, 0, 10, 0, 11, 0], [5, 2]);
        var knn = new NearestNeighbors(points, [0, 0, 1, 1, 2], k: 3);
        // 0.4: nearest 0, 1, 2 → classes 0, 0, 1 → 0. 9: nearest 10, 11, 2 → 1, 2, 1 → 1.
        // 6.2: nearest 2 (4.2), 10 (3.8), 11 (4.8) → 1, 1, 2 → 1.
        Assert.Equal([0, 1, 1], knn.Predict(Tensor.From([0.4f, 0, 9, 0, 6.2f, 0], [3, 2])));

        // k = 2 at 10.6: 11 (class 2) is nearer than 10 (class 1); one vote each, so the nearer member's class wins.
        var two = new NearestNeighbors(points, [0, 0, 1, 1, 2], k: 2);
        Assert.Equal([2, 1], two.Predict(Tensor.From([10.6f, 0, 10.4f, 0], [2, 2])));
        Assert.Equal(0.5, two.Accuracy(Tensor.From([10.6f, 0, 10.4f, 0], [2, 2]), [1, 1]));
    }

    [Fact]
    public void Nearest_neighbours_reject_mismatched_shapes()
    {
        var knn = new NearestNeighbors(Tensor.Zeros([3, 2]), [0, 1, 1], k: 3);
        Assert.Contains("[M, 2]", Assert.Throws<ArgumentException>(() => knn.Predict(Tensor.Zeros([1, 3]))).Message);
        Assert.Throws<ArgumentException>(() => new NearestNeighbors(Tensor.Zeros([2, 2]), [0, 1], k: 3));
    }
}
