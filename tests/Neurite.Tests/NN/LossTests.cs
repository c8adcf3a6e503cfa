using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Tests.Reference;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Every loss against torch.nn.functional (tests/reference/losses.json, from gen_losses.py).</summary>
public class LossTests
{
    private const string File = "losses.json";

    public static TheoryData<int> CaseIndices =>
        new(Enumerable.Range(0, Fixture.Load(File).GetProperty("cases").GetArrayLength()));

    private static Tensor Read(JsonElement c, int input, bool requiresGrad = false)
    {
        var shape = c.GetProperty("shapes")[input].EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var data = c.GetProperty("inputs")[input].EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        return Tensor.From(data, shape, requiresGrad);
    }

    private static float Kwarg(JsonElement c, string name) => (float)c.GetProperty("kwargs").GetProperty(name).GetDouble();

    private static Tensor Compute(string name, Tensor x, Tensor t, Reduction reduction, JsonElement c) => name switch
    {
        "mse" => Losses.Mse(x, t, reduction),
        "l1" => Losses.L1(x, t, reduction),
        "huber" => Losses.Huber(x, t, Kwarg(c, "delta"), reduction),
        "smooth_l1" => Losses.SmoothL1(x, t, Kwarg(c, "beta"), reduction),
        "bce" => Losses.BinaryCrossEntropy(x, t, reduction),
        "bce_logits" => Losses.BinaryCrossEntropyWithLogits(x, t, reduction),
        "nll" => Losses.NllLoss(x, t, reduction),
        "cross_entropy" => Losses.CrossEntropy(x, t, 0f, reduction),
        "cross_entropy_smoothed" => Losses.CrossEntropy(x, t, Kwarg(c, "label_smoothing"), reduction),
        "cross_entropy_probabilities" => Losses.CrossEntropyWithProbabilities(x, t, 0f, reduction),
        "cross_entropy_probabilities_smoothed" => Losses.CrossEntropyWithProbabilities(x, t, Kwarg(c, "label_smoothing"), reduction),
        _ => throw new ArgumentException($"unknown loss case {name}"),
    };

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Loss_and_its_gradient_match_pytorch(int index)
    {
        var c = Fixture.Load(File).GetProperty("cases")[index];
        string name = c.GetProperty("name").GetString()!;
        var reduction = Enum.Parse<Reduction>(c.GetProperty("reduction").GetString()!, ignoreCase: true);
        var x = Read(c, 0, requiresGrad: true);
        var t = Read(c, 1);
        var loss = Compute(name, x, t, reduction, c);

        var outputShape = c.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = Tensor.From(c.GetProperty("output").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(), outputShape);
        Fixture.AssertClose(expected, loss, $"{name} ({reduction})");

        var upstream = c.GetProperty("upstream").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        loss.Backward(Tensor.From(upstream, outputShape));
        var grad = Tensor.From(c.GetProperty("grad").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(), x.Shape);
        Fixture.AssertClose(grad, x.Grad, $"{name} ({reduction}) gradient");
    }

    [Fact]
    public void Losses_pass_finite_difference_checks()
    {
        var target = Tensor.Uniform([3, 4], -1, 1, new Generator(3));
        var classes = Tensor.From([2f, 0f, 3f]);
        var binary = Tensor.Bernoulli([3, 4], 0.5f, new Generator(4));
        Check(x => Losses.Mse(x[0], target), [Input([3, 4], 1)]);
        Check(x => Losses.L1(x[0], target), [Input([3, 4], 10)], atol: 5e-3);
        Check(x => Losses.NllLoss(Ops.LogSoftmax(x[0], 1), classes), [Input([3, 4], 11)]);
        Check(x => Losses.Huber(x[0], target, 0.7f), [Input([3, 4], 2)]);
        Check(x => Losses.SmoothL1(x[0], target, 0.3f, Reduction.Sum), [Input([3, 4], 5)]);
        Check(x => Losses.BinaryCrossEntropy(x[0], binary), [Input([3, 4], 6, 0.1f, 0.9f)]);
        Check(x => Losses.BinaryCrossEntropyWithLogits(x[0], binary, Reduction.None), [Input([3, 4], 7)]);
        Check(x => Losses.CrossEntropy(x[0], classes, 0.2f), [Input([3, 4], 8)]);
        Check(x => Losses.CrossEntropyWithProbabilities(x[0], Tensor.From([0.1f, 0.2f, 0.3f, 0.4f, 1f, 0f, 0f, 0f, 0.25f, 0.25f, 0.25f, 0.25f], [3, 4])), [Input([3, 4], 9)]);
    }

    [Fact]
    public void Cross_entropy_on_logits_is_stable_for_large_logits()
    {
        var logits = Tensor.From([[1000f, 0f, -1000f]]);
        Assert.Equal(0f, Losses.CrossEntropy(logits, Tensor.From([0f])).Item());
        Assert.Equal(2000f, Losses.CrossEntropy(logits, Tensor.From([2f])).Item());
        var big = Tensor.From([1000f, -1000f]);
        Assert.Equal([0f, 0f], Losses.BinaryCrossEntropyWithLogits(big, Tensor.From([1f, 0f]), Reduction.None).ToArray());
        // Probabilities of exactly 0 and 1 hit the −100 clamp on the log, not infinity.
        Assert.Equal(100f, Losses.BinaryCrossEntropy(Tensor.From([0f]), Tensor.From([1f])).Item());
    }

    [Fact]
    public void Bad_targets_are_named_with_their_shapes_and_positions()
    {
        var logits = Tensor.Zeros([2, 3]);
        Assert.Contains("[2, 3] and [3]", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, Tensor.From([0f, 1f, 2f]))).Message);
        Assert.Contains("target 3 at position 1", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, Tensor.From([0f, 3f]))).Message);
        Assert.Contains("Mse", Assert.Throws<ArgumentException>(() => Losses.Mse(logits, Tensor.Zeros([3, 2]))).Message);
        Assert.Contains("labelSmoothing", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, Tensor.From([0f, 1f]), 1.5f)).Message);
        Assert.Contains("delta", Assert.Throws<ArgumentException>(() => Losses.Huber(logits, logits, -1f)).Message);
    }
}
