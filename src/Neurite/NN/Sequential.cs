using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Applies its layers in order; they are named by their index ("0", "1", …), as torch.nn.Sequential.</summary>
public sealed class Sequential : Module
{
    private readonly Module[] _layers;

    public Sequential(params Module[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++)
        {
            RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
        }
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    public Module this[int index] => _layers[index];

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers)
        {
            x = layer.Call(x);
        }
        return x;
    }
}
