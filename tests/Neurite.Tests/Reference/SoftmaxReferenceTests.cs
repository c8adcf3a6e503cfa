using Neurite.Autograd;

namespace Neurite.Tests.Reference;

/// <summary>
/// Ops.Softmax and Ops.LogSoftmax against torch.softmax / torch.log_softmax
/// (tests/reference/softmax.json) along the last, first and middle axis of a 3-D tensor, on
/// inputs of magnitude ±1000 (finite only if the maximum is subtracted before exp), and on a
/// constant row (a uniform distribution), with gradients for a random upstream.
/// </summary>
public class SoftmaxReferenceTests
{
    private const string File = "softmax.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_matches_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var parameters = c.GetProperty("params");
        int dim = parameters.GetProperty("dim").GetInt32();
        string op = parameters.GetProperty("op").GetString()!;
        Fixture.CheckForwardAndBackward(c, t => op switch
        {
            "softmax" => Ops.Softmax(t["x"], dim),
            "log_softmax" => Ops.LogSoftmax(t["x"], dim),
            _ => throw new InvalidOperationException($"softmax.json: unknown op {op}"),
        });
    }
}
