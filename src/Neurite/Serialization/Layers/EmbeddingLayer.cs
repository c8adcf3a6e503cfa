using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>embedding</c>: integer ids (whole-number floats, e.g. a sequence [T]) → one learned vector each ([T, dim]), as
/// torch.nn.Embedding. Fields: num ("vocab" for the data source's vocabulary size), dim (both required). State dict:
/// weight [num, dim].
/// </summary>
public sealed record EmbeddingSpec(int Num, int Dim) : LayerSpec
{
    internal static LayerType Definition { get; } = new("embedding", ["num", "dim"], f => new EmbeddingSpec(f.RequiredCount("num"), f.RequiredInt("dim")));

    public override string Type => "embedding";

    public override int[] OutputShape(LayerContext context)
    {
        if (Num < 1)
        {
            throw context.Error("num", $"expected a positive integer, got {Num}");
        }
        if (Dim < 1)
        {
            throw context.Error("dim", $"expected a positive integer, got {Dim}");
        }
        if ((long)Num * Dim > Array.MaxLength)
        {
            throw context.Error("dim", $"a table of {Num} × {Dim} weights is more than a tensor can hold ({Array.MaxLength})");
        }
        return [.. context.Input, Dim];
    }

    public override Module Build(LayerContext context, Generator rng) => new Embedding(Num, Dim, rng);

    /// <summary>Gather of the weight's rows; ids of an integer graph input directly, float ids cast to int64 first.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string ids = onnx.TypeOf(inputs[0]) == OnnxDataType.Float ? onnx.Node("Cast", [inputs[0]], OnnxAttribute.Of("to", (long)OnnxDataType.Int64)) : inputs[0];
        return onnx.Node("Gather", [onnx.Weight("weight"), ids]);
    }

    /// <summary>A graph input of ids is int64.</summary>
    internal override OnnxDataType OnnxInputType(int input) => OnnxDataType.Int64;

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("num", Num);
        json.WriteNumber("dim", Dim);
    }
}
