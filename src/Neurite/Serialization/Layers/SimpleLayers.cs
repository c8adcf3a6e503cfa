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

    /// <summary>
    /// The operator of the same name; silu as x·σ(x); step (1 where x ≥ 0) as GreaterOrEqual cast to float, NaN
    /// kept as NaN as the module keeps it.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string x = inputs[0];
        switch (Type)
        {
            case "silu":
                return onnx.Node("Mul", [x, onnx.Node("Sigmoid", [x])]);
            case "step":
                string step = onnx.Node("Cast", [onnx.Node("GreaterOrEqual", [x, onnx.Constant(0f)])], OnnxAttribute.Of("to", (long)OnnxDataType.Float));
                return onnx.Node("Where", [onnx.Node("IsNaN", [x]), x, step]);
            default:
                return onnx.Node(Type switch { "relu" => "Relu", "sigmoid" => "Sigmoid", "tanh" => "Tanh", _ => "Identity" }, inputs);
        }
    }
}
