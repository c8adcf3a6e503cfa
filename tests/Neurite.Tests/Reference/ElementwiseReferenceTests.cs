using System.Text.Json;
using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Element-wise and reduction ops against PyTorch (tests/reference/elementwise.json): broadcasting
/// in both directions with its sum-back in backward, pow with a tensor and a constant exponent,
/// unbiased variance, amax/amin and maximum with ties (PyTorch shares the gradient evenly), and the
/// kinks of relu, abs and clamp at exactly 0 and at the clamp bounds.
/// </summary>
public class ElementwiseReferenceTests
{
    private const string File = "elementwise.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var parameters = c.GetProperty("params");
        Fixture.CheckForwardAndBackward(c, t => Forward(name, t, parameters));
    }

    /// <summary>The Neurite translation of each case's PyTorch expression (see gen_reference.py).</summary>
    private static Tensor Forward(string name, IReadOnlyDictionary<string, Tensor> t, JsonElement parameters) => name switch
    {
        // (a * b).sum(dim=(0, 2)) with a [2,3,1], b [4]
        "mul_broadcast_sum_dims_0_2" => Ops.Sum(t["a"] * t["b"], [0, 2]),
        "add_broadcast" => t["a"] + t["b"],
        // (a - b).mean(dim=1) with a [3,1], b [2,1,4]
        "sub_broadcast_mean_dim1" => Ops.Mean(t["a"] - t["b"], 1),
        "div_broadcast" => t["a"] / t["b"],
        "pow_tensor_exponent" => Ops.Pow(t["a"], t["b"]),
        "pow_scalar_3" or "pow_scalar_2_5" => Ops.Pow(t["a"], parameters.GetProperty("p").GetSingle()),
        // sqrt(exp(a) + log(b) + 1)
        "exp_log_sqrt" => Ops.Sqrt(Ops.Exp(t["a"]) + Ops.Log(t["b"]) + 1f),
        "var_unbiased_dim1" => Ops.Variance(t["x"], 1),
        "var_unbiased_all" => Ops.Variance(t["x"]),
        "var_unbiased_dim0_keepdim" => Ops.Variance(t["x"], axis: 0, keepDims: true),
        "mean_dims_0_2_keepdim" => Ops.Mean(t["x"], [0, 2], keepDims: true),
        "amax_ties_dim1" => Ops.Max(t["x"], 1),
        "amax_ties_all" => Ops.Max(t["x"], [0, 1]),
        "amin_ties_dim0_keepdim" => Ops.Min(t["x"], 0, keepDims: true),
        "maximum_ties" => Ops.Maximum(t["a"], t["b"]),
        "minimum_broadcast" => Ops.Minimum(t["a"], t["b"]),
        "relu_with_zero" => Ops.Relu(t["x"]),
        "abs_with_zero" => Ops.Abs(t["x"]),
        "sigmoid" => Ops.Sigmoid(t["x"]),
        "tanh" => Ops.Tanh(t["x"]),
        "clamp_boundaries" => Ops.Clamp(t["x"], parameters.GetProperty("min").GetSingle(), parameters.GetProperty("max").GetSingle()),
        // torch.where(a > 0, a, b)
        "where_positive" => Ops.Where(Ops.Greater(t["a"], Tensor.Scalar(0)), t["a"], t["b"]),
        _ => throw new InvalidOperationException($"{File}: case {name} has no Neurite translation here; add one."),
    };
}
