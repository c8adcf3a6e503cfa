using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Views, integer indices and transposed products against PyTorch (tests/reference/indexing.json, written by
/// gen_indexing.py): narrow, select, unbind, embedding with repeated ids, matmul with transposed operands, and
/// cross_entropy / nll_loss with class indices, also in the (N, C, d1) layout.
/// </summary>
public class IndexingReferenceTests
{
    private const string File = "indexing.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var parameters = c.GetProperty("params");
        Fixture.CheckForwardAndBackward(c, t => Forward(name, t, parameters));
    }

    private static IntTensor Ints(JsonElement rows) =>
        IntTensor.From(rows.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray());

    private static IntTensor Classes(JsonElement parameters)
    {
        var classes = parameters.GetProperty("classes");
        return classes[0].ValueKind == JsonValueKind.Array
            ? Ints(classes)
            : IntTensor.From(classes.EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    private static Reduction ReductionOf(JsonElement parameters) => parameters.GetProperty("reduction").GetString() switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        _ => Reduction.None,
    };

    /// <summary>The Neurite translation of each case's PyTorch expression (see gen_indexing.py).</summary>
    private static Tensor Forward(string name, IReadOnlyDictionary<string, Tensor> t, JsonElement parameters) => name switch
    {
        "narrow_dim0" => Ops.Narrow(t["x"], 0, 1, 3),
        "narrow_dim1" => Ops.Narrow(t["x"], 1, -3, 2),
        "select_dim0_negative" => Ops.Select(t["x"], 0, -1),
        "select_dim2" => Ops.Select(t["x"], 2, 1),
        "unbind_rows_stack" => Ops.Stack(Ops.Unbind(t["x"], 0).Select((r, i) => Ops.Mul(Ops.Tanh(r), i + 1f)).ToArray(), 1),
        "unbind_dim1_cat" => Ops.Concat(Ops.Unbind(t["x"], 1), 0),
        "embedding_repeated_ids" => Ops.Embedding(t["weight"], Ints(parameters.GetProperty("ids"))),
        _ when name.StartsWith("matmul_", StringComparison.Ordinal) => Ops.MatMul(t["a"], t["b"],
            parameters.GetProperty("transpose_a").GetBoolean(), parameters.GetProperty("transpose_b").GetBoolean()),
        _ when name.StartsWith("cross_entropy_", StringComparison.Ordinal) => Losses.CrossEntropy(t["logits"], Classes(parameters),
            (float)parameters.GetProperty("label_smoothing").GetDouble(), ReductionOf(parameters)),
        _ when name.StartsWith("nll_loss_", StringComparison.Ordinal) => Losses.NllLoss(t["log_probabilities"], Classes(parameters), ReductionOf(parameters)),
        _ => throw new ArgumentException($"no Neurite translation for case {name}"),
    };
}
