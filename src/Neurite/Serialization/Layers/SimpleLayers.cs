using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>A layer without options: relu, sigmoid, tanh, step, silu or identity.</summary>
public sealed record SimpleLayerSpec : LayerSpec
{
    private static readonly Dictionary<string, Func<Module>> Modules = new()
    {
        ["relu"] = () => new ReLU(),
        ["sigmoid"] = () => new Sigmoid(),
        ["tanh"] = () => new Tanh(),
        ["step"] = () => new Step(),
        ["silu"] = () => new SiLU(),
        ["identity"] = () => new Identity(),
    };

    /// <exception cref="ArgumentException"><paramref name="type"/> is not one of the option-less layers.</exception>
    public SimpleLayerSpec(string type)
    {
        if (!Modules.ContainsKey(type))
        {
            throw new ArgumentException($"SimpleLayerSpec: \"{type}\" is not one of {string.Join(", ", Modules.Keys)}.", nameof(type));
        }
        Type = type;
    }

    internal static LayerType Definition(string type) => new(type, [], _ => new SimpleLayerSpec(type));

    public override string Type { get; }

    public override Module Build(LayerContext context, Generator rng) => Modules[Type]();
}
