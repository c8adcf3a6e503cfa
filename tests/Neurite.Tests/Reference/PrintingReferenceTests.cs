using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Tensor.ToString against str(torch.tensor(...)) (tests/reference/printing.json): whole numbers,
/// fixed-point floats, scientific notation for wide or extreme magnitudes, column alignment,
/// 2-D and 3-D layout, scalars, NaN and infinities, and requires_grad.
/// </summary>
public class PrintingReferenceTests
{
    private const string File = "printing.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToString_matches_torch_str(string name)
    {
        var c = Fixture.Case(File, name);
        var tensor = Fixture.ReadTensor(c.GetProperty("tensor"), c.GetProperty("requires_grad").GetBoolean());
        Assert.Equal(c.GetProperty("text").GetString(), tensor.ToString());
    }
}
