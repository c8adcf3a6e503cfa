using System.Text.Json;
using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Shape and indexing ops against PyTorch (tests/reference/shape_ops.json): gather and
/// index_select (repeated indices accumulate their gradient), cat, stack, permute, transpose,
/// strided and negative slices, broadcast_to, flatten, unflatten, and a reshape feeding a batched matmul.
/// </summary>
public class ShapeOpsReferenceTests
{
    private const string File = "shape_ops.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var parameters = c.GetProperty("params");
        Fixture.CheckForwardAndBackward(c, t => Forward(name, t, parameters));
    }

    private static Tensor IndexTensor(JsonElement rows)
    {
        float[][] values = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(e => (float)e.GetInt32()).ToArray()).ToArray();
        return Tensor.From(values);
    }

    private static int[] Indices(JsonElement list) => list.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>The Neurite translation of each case's PyTorch expression (see gen_reference.py).</summary>
    private static Tensor Forward(string name, IReadOnlyDictionary<string, Tensor> t, JsonElement parameters) => name switch
    {
        "gather_dim1" => Ops.Gather(t["x"], 1, IndexTensor(parameters.GetProperty("index"))),
        "gather_dim0" => Ops.Gather(t["x"], 0, IndexTensor(parameters.GetProperty("index"))),
        "index_select_dim0_repeated" => Ops.IndexSelect(t["x"], 0, Indices(parameters.GetProperty("indices"))),
        "index_select_dim1" => Ops.IndexSelect(t["x"], 1, Indices(parameters.GetProperty("indices"))),
        "concat_dim1" => Ops.Concat([t["a"], t["b"]], 1),
        "stack_dim1" => Ops.Stack([t["a"], t["b"]], 1),
        "permute_2_0_1" => Ops.Permute(t["x"], [2, 0, 1]),
        "transpose_0_2" => Ops.Transpose(t["x"], 0, 2),
        // x[1:5:2]
        "slice_dim0_1_5_step2" => Ops.Slice(t["x"], 0, 1, 5, 2),
        // x[:, -3:-1]
        "slice_dim1_negative" => Ops.Slice(t["x"], 1, -3, -1),
        "broadcast_to_2x3x4" => Ops.BroadcastTo(t["x"], [2, 3, 4]),
        "flatten_from_1" => Ops.Flatten(t["x"], 1),
        // torch.matmul(x.reshape(2, 3, 2), w.t())
        "reshape_then_matmul" => Ops.MatMul(Ops.Reshape(t["x"], [2, 3, 2]), Ops.Transpose(t["w"])),
        // torch.nn.Unflatten(1, (3, 2))(x): the unflatten layer type's module
        "unflatten_dim1" => new Neurite.NN.Unflatten(1, [3, 2]).Call(t["x"]),
        _ => throw new InvalidOperationException($"{File}: case {name} has no Neurite translation here; add one."),
    };
}
