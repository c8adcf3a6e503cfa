using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>concat</c>: joins its inputs along an axis, as torch.cat. Field: axis (−1), counted with the
/// batch axis as PyTorch's dim, and never the batch axis itself. The inputs have the same rank and
/// the same sizes outside that axis; a graph node names two or more.
/// </summary>
public sealed record ConcatSpec(int Axis = -1) : LayerSpec
{
    internal static LayerType Definition { get; } = new("concat", ["axis"], f => new ConcatSpec(f.Int("axis", -1, int.MinValue + 1)));

    public override string Type => "concat";

    public override int MinInputs => 2;

    public override int MaxInputs => int.MaxValue;

    public override int[] OutputShape(LayerContext context)
    {
        var first = context.Input;
        int rank = first.Length + 1;
        if (context.Inputs.Any(shape => shape.Length != first.Length))
        {
            throw context.InputsError($"concat needs inputs of the same rank, got {context.DescribeInputs()}");
        }
        if (Axis == 0 || Axis < -first.Length || Axis >= rank)
        {
            throw context.Error("axis",
                $"axis {Axis} is not an axis of a sample: with the batch axis the inputs are {rank}-D, so axis must be in 1..{rank - 1} or -{first.Length}..-1");
        }
        int axis = (Axis < 0 ? Axis + rank : Axis) - 1;
        long size = 0;
        foreach (var shape in context.Inputs)
        {
            if (Enumerable.Range(0, first.Length).Any(i => i != axis && shape[i] != first[i]))
            {
                throw context.InputsError($"concat along axis {Axis} needs the same sizes on the other axes, got {context.DescribeInputs()}");
            }
            size += shape[axis];
        }
        if (size > Array.MaxLength)
        {
            throw context.InputsError($"concat along axis {Axis} of {context.DescribeInputs()} gives {size} elements on that axis, more than a tensor can hold");
        }
        var output = (int[])first.Clone();
        output[axis] = (int)size;
        return output;
    }

    public override Module Build(LayerContext context, Generator rng) => new Concat(Axis);

    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("Concat", inputs, OnnxAttribute.Of("axis", (long)Axis));

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("axis", Axis);
}
