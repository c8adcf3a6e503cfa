using Neurite.Kernels;

namespace Neurite.Tests;

public class SmokeTests
{
    [Fact]
    public void Gemm_multiplies_two_by_two()
    {
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c);
    }
}
