using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// A 4-8-6-3 MLP (Ops.Linear with PyTorch's [out, in] weights; ReLU, tanh or sigmoid between) on a
/// batch of 5, with cross-entropy −mean(log_softmax(logits)[i, target[i]]), against PyTorch
/// (tests/reference/mlp.json): every intermediate, the loss, and the gradients of the input and of
/// every weight and bias.
/// </summary>
public class MlpReferenceTests
{
    private const string File = "mlp.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    private static Tensor Activation(string name, Tensor z) => name switch
    {
        "relu" => Ops.Relu(z),
        "tanh" => Ops.Tanh(z),
        "sigmoid" => Ops.Sigmoid(z),
        _ => throw new InvalidOperationException($"{File}: unknown activation {name}"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mlp_forward_loss_and_gradients_match_torch(string name)
    {
        var c = Fixture.Case(File, name);
        var p = Fixture.ReadTensors(c.GetProperty("inputs"), requiresGrad: true);
        var parameters = c.GetProperty("params");
        float[] target = c.GetProperty("target").EnumerateArray().Select(e => (float)e.GetInt32()).ToArray();
        int batch = target.Length;

        var z1 = Ops.Linear(p["x"], p["W1"], p["b1"]);
        var h1 = Activation(parameters.GetProperty("act1").GetString()!, z1);
        var z2 = Ops.Linear(h1, p["W2"], p["b2"]);
        var h2 = Activation(parameters.GetProperty("act2").GetString()!, z2);
        var logits = Ops.Linear(h2, p["W3"], p["b3"]);
        var logProbs = Ops.LogSoftmax(logits, 1);
        // −mean over the batch of log p(target): gather picks log_probs[i, target[i]].
        var picked = Ops.Gather(logProbs, 1, Tensor.From(target, [batch, 1]));
        var loss = Ops.Neg(Ops.Mean(picked));

        var outputs = Fixture.ReadTensors(c.GetProperty("outputs"));
        var computed = new Dictionary<string, Tensor>
        {
            ["z1"] = z1,
            ["h1"] = h1,
            ["z2"] = z2,
            ["h2"] = h2,
            ["logits"] = logits,
            ["log_probs"] = logProbs,
            ["loss"] = loss,
        };
        Assert.Equal(outputs.Keys.Order(), computed.Keys.Order());
        foreach (var (key, expected) in outputs)
        {
            Fixture.AssertClose(expected, computed[key], $"{name}: {key}");
        }

        loss.Backward();
        var grads = Fixture.ReadTensors(c.GetProperty("grads"));
        Assert.Equal(p.Keys.Order(), grads.Keys.Order());
        foreach (var (key, expected) in grads)
        {
            Fixture.AssertClose(expected, p[key].Grad, $"{name}: gradient of {key}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cross_entropy_through_one_hot_equals_the_gathered_loss(string name)
    {
        // The same loss as −Σ onehot(target) ⊙ log_probs / batch: the one-hot row selects the
        // target's log-probability just as gather does, and its gradient reaches the logits too.
        var c = Fixture.Case(File, name);
        float[] target = c.GetProperty("target").EnumerateArray().Select(e => (float)e.GetInt32()).ToArray();
        var logits = Fixture.ReadTensor(c.GetProperty("outputs").GetProperty("logits"), requiresGrad: true);

        var logProbs = Ops.LogSoftmax(logits, 1);
        var loss = Ops.Neg(Ops.Sum(Ops.OneHot(Tensor.From(target), 3) * logProbs)) / target.Length;
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("outputs").GetProperty("loss")), loss, $"{name}: loss");

        // ∂loss/∂W3 = (softmax − onehot)ᵀ·h2 / batch; PyTorch's W3 gradient checks the chain.
        var h2 = Fixture.ReadTensor(c.GetProperty("outputs").GetProperty("h2"));
        loss.Backward();
        var dW3 = Ops.MatMul(Ops.Transpose(logits.Grad!), h2);
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("grads").GetProperty("W3")), dW3, $"{name}: gradient of W3 via logits");
    }
}
