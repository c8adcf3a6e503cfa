using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Flattens axes startAxis … endAxis into one (default: all but the batch axis), as torch.nn.Flatten.</summary>
public sealed class Flatten(int startAxis = 1, int endAxis = -1) : Module
{
    public override Tensor Forward(Tensor x) => Ops.Flatten(x, startAxis, endAxis);

    public override string Describe() => $"Flatten(start_dim={startAxis}, end_dim={endAxis})";
}

/// <summary>Returns its input unchanged.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor x) => x;
}
