using System.Text.Json;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// Convolutions and pools against PyTorch (tests/reference/conv.json, written by gen_conv.py): conv1d, conv2d,
/// conv_transpose2d, max_pool2d, avg_pool2d and adaptive_avg_pool2d, output and the gradient of every input.
/// </summary>
public class ConvolutionReferenceTests
{
    private const string File = "conv.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var p = c.GetProperty("params");
        Fixture.CheckForwardAndBackward(c, t => Forward(p, t));
    }

    [Fact]
    public void Fixture_covers_every_op()
    {
        var ops = Fixture.Load(File).GetProperty("cases").EnumerateArray()
            .Select(c => c.GetProperty("params").GetProperty("op").GetString()).ToHashSet();
        Assert.Equal(["adaptive_avg_pool2d", "avg_pool2d", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d"], ops.Order());
    }

    /// <summary>The Neurite call for each case's PyTorch op (see gen_conv.py), with the settings from "params".</summary>
    private static Tensor Forward(JsonElement p, IReadOnlyDictionary<string, Tensor> t)
    {
        var bias = t.GetValueOrDefault("bias");
        switch (p.GetProperty("op").GetString())
        {
            case "conv1d":
                {
                    int kernel = t["weight"].Shape[2], dilation = p.GetProperty("dilation").GetInt32();
                    var padding = p.GetProperty("padding");
                    var (left, right) = padding.ValueKind == JsonValueKind.String
                        ? Conv2dGeometry.SamePadding(kernel, dilation)
                        : (padding.GetInt32(), padding.GetInt32());
                    return Ops.Conv1d(t["x"], t["weight"], bias, p.GetProperty("stride").GetInt32(), (left, right), dilation,
                        p.GetProperty("groups").GetInt32());
                }
            case "conv2d":
                {
                    var (stride, dilation) = (Pair(p, "stride"), Pair(p, "dilation"));
                    int groups = p.GetProperty("groups").GetInt32();
                    var geometry = p.GetProperty("padding").ValueKind == JsonValueKind.String
                        ? Conv2dGeometry.Same(t["weight"].Shape[2], t["weight"].Shape[3], dilation.H, dilation.W, groups)
                        : Conv2dGeometry.Symmetric(stride, Pair(p, "padding"), dilation, groups);
                    return Ops.Conv2d(t["x"], t["weight"], bias, geometry);
                }
            case "conv_transpose2d":
                return Ops.ConvTranspose2d(t["x"], t["weight"], bias, ConvTranspose2dGeometry.Symmetric(
                    Pair(p, "stride"), Pair(p, "padding"), Pair(p, "output_padding"), Pair(p, "dilation"), p.GetProperty("groups").GetInt32()));
            case "max_pool2d":
                return Ops.MaxPool2d(t["x"], PoolGeometry(p));
            case "avg_pool2d":
                return Ops.AvgPool2d(t["x"], PoolGeometry(p));
            default:
                var output = Pair(p, "output");
                return Ops.AdaptiveAvgPool2d(t["x"], output.H, output.W);
        }
    }

    private static Pool2dGeometry PoolGeometry(JsonElement p) =>
        Pool2dGeometry.Of(Pair(p, "kernel"), Pair(p, "stride"), Pair(p, "padding"));

    private static (int H, int W) Pair(JsonElement p, string name)
    {
        var values = p.GetProperty(name);
        return (values[0].GetInt32(), values[1].GetInt32());
    }
}
