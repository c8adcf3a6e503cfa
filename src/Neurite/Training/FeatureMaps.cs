using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// What a convolutional network computes inside, for reports: its image convolutions (Conv2d and ConvTranspose2d) in the
/// order they run, and their outputs, the feature maps, for given inputs.
/// </summary>
public static class FeatureMaps
{
    /// <summary>
    /// The first Conv2d of <paramref name="model"/> (depth first, in registration order) with its state-dict prefix, or
    /// null without one.
    /// </summary>
    public static (string Name, Conv2d Layer)? FirstConv2d(Module model) =>
        Named(model, "").Where(m => m.Module is Conv2d).Select(m => ((string, Conv2d)?)(m.Name, (Conv2d)m.Module)).FirstOrDefault();

    /// <summary>
    /// The filters of <paramref name="conv"/> as pictures: each output channel's kernel averaged over its input channels,
    /// [out, kh·kw] row-major (a single-channel input's filters are the kernels themselves).
    /// </summary>
    public static float[] FilterMeans(Conv2d conv)
    {
        var weight = conv.Weight; // [O, C/groups, kh, kw]
        int filters = weight.Shape[0], perFilter = weight.Shape[1], area = weight.Shape[2] * weight.Shape[3];
        var means = new float[filters * area];
        var w = weight.Data;
        for (int i = 0; i < means.Length; i++)
        {
            int o = i / area, p = i % area;
            float sum = 0;
            for (int c = 0; c < perFilter; c++)
            {
                sum += w[(o * perFilter + c) * area + p];
            }
            means[i] = sum / perFilter;
        }
        return means;
    }

    /// <summary>
    /// Runs the trainer's model on <paramref name="inputs"/> [N, …sample shape] in evaluation mode (as
    /// <see cref="Trainer.Predict"/>) and returns the output [N, O, H′, W′] of every Conv2d and ConvTranspose2d in the
    /// order they ran, each named by its state-dict prefix ("0", "3", "block.conv"). Empty for a model without them.
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Output)> Capture(Trainer trainer, Tensor inputs)
    {
        var outputs = new List<(string, Tensor)>();
        var handles = Named(trainer.Model, "")
            .Where(m => m.Module is Conv2d or ConvTranspose2d)
            .Select(m => m.Module.RegisterForwardHook((_, _, y) => outputs.Add((m.Name, Tensor.From(y.Data, y.Shape)))))
            .ToList();
        try
        {
            trainer.Predict(inputs, batchSize: Math.Max(1, inputs.Shape[0]));
        }
        finally
        {
            handles.ForEach(handle => handle.Dispose());
        }
        return outputs;
    }

    private static IEnumerable<(string Name, Module Module)> Named(Module module, string name)
    {
        yield return (name, module);
        foreach (var (childName, child) in module.NamedChildren())
        {
            foreach (var inner in Named(child, name.Length == 0 ? childName : name + "." + childName))
            {
                yield return inner;
            }
        }
    }
}
