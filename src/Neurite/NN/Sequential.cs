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

    /// <summary>
    /// Calls the layers in order. Where no gradient is recorded (inference), a run of Linear layers, each optionally
    /// followed by ReLU, is computed in one fused pass instead (<see cref="LinearChain"/>), with the same results.
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        for (int i = 0; i < _layers.Length;)
        {
            int fused = LinearChain.TryRun(_layers, i, ref x);
            if (fused == 0)
            {
                x = _layers[i].Call(x);
                fused = 1;
            }
            i += fused;
        }
        return x;
    }
}
