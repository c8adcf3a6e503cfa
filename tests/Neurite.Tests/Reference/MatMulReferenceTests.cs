using Neurite.Autograd;

namespace Neurite.Tests.Reference;

/// <summary>
/// Ops.MatMul against torch.matmul (tests/reference/matmul.json): 2-D, batched with broadcast
/// batch axes, and the 1-D promotions (vector·matrix, matrix·vector, vector·vector), forward and
/// the gradients of sum(out ⊙ upstream) with respect to both operands.
/// </summary>
public class MatMulReferenceTests
{
    private const string File = "matmul.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatMul_matches_torch_matmul(string name) =>
        Fixture.CheckForwardAndBackward(Fixture.Case(File, name), t => Ops.MatMul(t["a"], t["b"]));

    [Fact]
    public void Fixture_covers_the_shapes_the_engine_distinguishes()
    {
        // 2-D, folded batch·matrix, broadcast batch·batch, and each 1-D promotion.
        var ranks = Fixture.Load(File).GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("inputs").GetProperty("a").GetProperty("shape").GetArrayLength(),
                          c.GetProperty("inputs").GetProperty("b").GetProperty("shape").GetArrayLength()))
            .ToHashSet();
        Assert.Superset(new HashSet<(int, int)> { (2, 2), (3, 2), (4, 3), (1, 2), (2, 1), (1, 1) }, ranks);
    }
}
