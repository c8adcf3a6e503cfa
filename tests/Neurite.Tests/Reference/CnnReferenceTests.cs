using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Reference;

/// <summary>
/// The convolutional layer types as whole models against PyTorch (tests/reference/cnn.json, written by gen_cnn.py): the
/// spec builds modules whose state-dict names are torch.nn.Sequential's, PyTorch's weights load by those names, and
/// training-mode outputs, every gradient, batch norm's running statistics and evaluation-mode outputs agree.
/// </summary>
public class CnnReferenceTests
{
    private const string File = "cnn.json";

    [Theory]
    [InlineData("image")]
    [InlineData("sequence")]
    public void A_model_of_every_convolutional_layer_type_computes_what_torch_computes(string name)
    {
        var c = Fixture.Load(File).GetProperty(name);
        var model = ModelSpec.Parse(c.GetProperty("spec").GetRawText()).Build(new Generator(1));
        var torchState = Fixture.ReadTensors(c.GetProperty("state"));
        Assert.Equal(torchState.Keys, model.StateDict().Keys); // torch's names in torch's order
        model.LoadStateDict(torchState);

        model.Train();
        var x = Fixture.ReadTensor(c.GetProperty("input"), requiresGrad: true);
        var y = model.Call(x);
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("output")), y, $"{name}: training-mode output");
        y.Backward(Fixture.ReadTensor(c.GetProperty("upstream")));
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("input_grad")), x.Grad, $"{name}: gradient of the input");
        var parameters = model.NamedParameters().ToDictionary();
        foreach (var (parameter, expected) in Fixture.ReadTensors(c.GetProperty("grads")))
        {
            Fixture.AssertClose(expected, parameters[parameter].Grad, $"{name}: gradient of {parameter}");
        }
        var state = model.StateDict();
        foreach (var (entry, expected) in Fixture.ReadTensors(c.GetProperty("state_after")))
        {
            Fixture.AssertClose(expected, state[entry], $"{name}: {entry} after one training-mode batch");
        }

        model.Eval();
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("eval_output")), model.Call(x.Detach()), $"{name}: evaluation-mode output");
    }

    [Fact]
    public void A_cnn_trained_in_pytorch_loads_with_its_batch_counter_and_predicts_what_torch_predicts()
    {
        var c = Fixture.Load(File);
        var model = ModelSpec.Parse(c.GetProperty("image").GetProperty("spec").GetRawText()).Build(new Generator(1));
        // The file holds every tensor of torch's state_dict, num_batches_tracked (int64, shape []) included.
        var loaded = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "reference", "cnn_image.safetensors")).Tensors;
        Assert.Contains("1.num_batches_tracked", loaded.Keys);
        model.LoadStateDict(loaded);
        model.Eval();
        var trained = c.GetProperty("trained");
        Fixture.AssertClose(Fixture.ReadTensor(trained.GetProperty("eval_output")), model.Call(Fixture.ReadTensor(trained.GetProperty("input"))),
            "the PyTorch-trained CNN's evaluation-mode output");
    }
}
