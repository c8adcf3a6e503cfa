using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

public class FeatureMapsTests
{
    [Fact]
    public void Capture_returns_every_image_convolutions_output_in_order_in_evaluation_mode_and_leaves_no_hook()
    {
        // A flat [18] input reshaped to [2, 3, 3] as the trainer does; the nested block's convolutions are named by their path.
        var model = new Sequential(
            new Conv2d(2, 3, 2, padding: 1, rng: new Generator(1)),
            new Dropout(0.5f, new Generator(2)),
            new Sequential(new Conv2d(3, 4, 3, rng: new Generator(3)), new ConvTranspose2d(4, 2, (2, 2), Neurite.Kernels.ConvTranspose2dGeometry.Symmetric(), rng: new Generator(4))),
            new Flatten());
        var trainer = new Trainer(model, (y, t) => Losses.Mse(y, t)) { InputShape = [2, 3, 3] };
        var x = Tensor.Normal([2, 18], 0, 1, new Generator(5));

        var maps = FeatureMaps.Capture(trainer, x);
        Assert.Equal(["0", "2.0", "2.1"], maps.Select(m => m.Name));
        Assert.Equal(["[2, 3, 4, 4]", "[2, 4, 2, 2]", "[2, 2, 3, 3]"], maps.Select(m => Shapes.Format(m.Output.Shape)));
        Assert.True(model.IsTraining);
        using (Graph.NoGrad())
        {
            // Evaluation mode: dropout passes values through, so each map is the chain's output up to there.
            var first = model[0].Call(Ops.Reshape(x, [2, 2, 3, 3]));
            Assert.Equal(first.ToArray(), maps[0].Output.ToArray());
            var inner = (Sequential)model[2];
            Assert.Equal(inner[0].Call(first).ToArray(), maps[1].Output.ToArray());
        }
        Assert.Equal(3, FeatureMaps.Capture(trainer, x).Count); // the hooks of the first capture are gone

        var nested = new Conv2d(1, 2, 3);
        var found = FeatureMaps.FirstConv2d(new Sequential(new ReLU(), new Sequential(new ReLU(), nested), new Conv2d(2, 2, 1)));
        Assert.Equal("1.1", found?.Name);
        Assert.Same(nested, found?.Layer);
        Assert.Null(FeatureMaps.FirstConv2d(ModelSpec.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}]}""").Build()));
    }

    [Fact]
    public void FilterMeans_averages_each_filter_over_its_input_channels()
    {
        // Two filters of 1×2 over three input channels: filter 0's channels hold 1…6, filter 1's 7…12.
        var conv = new Conv2d(3, 2, (1, 2), Neurite.Kernels.Conv2dGeometry.Symmetric(), rng: new Generator(1));
        Enumerable.Range(1, 12).Select(v => (float)v).ToArray().CopyTo(conv.Weight.Data);
        // Filter 0: channels (1, 2), (3, 4), (5, 6) average to (3, 4); filter 1 to (9, 10).
        Assert.Equal([3f, 4f, 9f, 10f], FeatureMaps.FilterMeans(conv));
    }
}
