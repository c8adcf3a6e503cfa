using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>positional_encoding</c>: a position's vector added to each step of a sequence [T, D]; [T, D] → [T, D]. Fields:
/// kind, "sinusoidal" (the default: sin and cos interleaved, as in "Attention Is All You Need", no state-dict entry; D
/// must be even) or "learned" (state dict: weight [max_len, D], of which the first T rows are added), and max_len
/// (512; at least T).
/// </summary>
public sealed record PositionalEncodingSpec(string Kind = "sinusoidal", int MaxLen = 512) : LayerSpec
{
    internal static LayerType Definition { get; } = new("positional_encoding", ["kind", "max_len"], f => new PositionalEncodingSpec(
        f.Choice("kind", "sinusoidal", "positional encoding", ["sinusoidal", "learned"]), f.Int("max_len", 512)));

    public override string Type => "positional_encoding";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.SequenceInput(Type);
        if (MaxLen < 1)
        {
            throw context.Error("max_len", $"expected a positive integer, got {MaxLen}");
        }
        if (MaxLen < input[0])
        {
            throw context.Error("max_len", $"{MaxLen} positions are fewer than the {input[0]} steps of the input {Shapes.Format(input)}");
        }
        if (Kind == "sinusoidal" && input[1] % 2 != 0)
        {
            throw context.Error("kind", $"sinusoidal needs an even number of features (sin and cos alternate), got {input[1]} in the input {Shapes.Format(input)}");
        }
        if ((long)MaxLen * input[1] > Array.MaxLength)
        {
            throw context.Error("max_len", $"a table of {MaxLen} × {input[1]} values is more than a tensor can hold ({Array.MaxLength})");
        }
        return input;
    }

    public override Module Build(LayerContext context, Generator rng) => Kind == "learned"
        ? new LearnedPositionalEncoding(context.Input[1], MaxLen, rng)
        : new SinusoidalPositionalEncoding(context.Input[1], MaxLen);

    /// <summary>Add of the first T rows: the sinusoidal table's as a constant [T, D], the learned weight's by Slice.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var (steps, d) = (context.Input[0], context.Input[1]);
        string rows = Kind == "learned"
            ? onnx.Node("Slice", [onnx.Weight("weight"), onnx.Constant([0L]), onnx.Constant([(long)steps]), onnx.Constant([0L])])
            : onnx.Constant(SinusoidalPositionalEncoding.Table(d, steps), [steps, d]);
        return onnx.Node("Add", [inputs[0], rows]);
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteString("kind", Kind);
        json.WriteNumber("max_len", MaxLen);
    }
}
