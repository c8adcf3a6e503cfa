using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>flatten</c>: axes start_dim … end_dim into one (1 and −1: all but the batch axis), as torch.nn.Flatten.</summary>
public sealed record FlattenSpec(int StartDim = 1, int EndDim = -1) : LayerSpec
{
    internal static LayerType Definition { get; } = new("flatten", ["start_dim", "end_dim"], f => new FlattenSpec(
        f.Int("start_dim", 1, int.MinValue + 1), f.Int("end_dim", -1, int.MinValue + 1)));

    public override string Type => "flatten";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        int rank = input.Length + 1;
        int start = StartDim < 0 ? StartDim + rank : StartDim, end = EndDim < 0 ? EndDim + rank : EndDim;
        if (start < 1 || start >= rank)
        {
            throw context.Error("start_dim", $"start_dim {StartDim} is not an axis of a sample (1..{rank - 1}, the batch axis 0 excluded)");
        }
        if (end < start || end >= rank)
        {
            throw context.Error("end_dim", $"end_dim {EndDim} must be an axis from start_dim {StartDim} to {rank - 1}");
        }
        long size = 1;
        for (int axis = start; axis <= end; axis++)
        {
            size *= input[axis - 1];
        }
        return [.. input[..(start - 1)], (int)size, .. input[end..]];
    }

    public override Module Build(LayerContext context, Generator rng) => new Flatten(StartDim, EndDim);

    /// <summary>
    /// Flatten when all but the batch axis are joined; otherwise a Reshape to the output shape, the batch axis
    /// copied from the input (0).
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var output = OutputShape(context);
        return output.Length == 1
            ? onnx.Node("Flatten", inputs, OnnxAttribute.Of("axis", 1L))
            : onnx.Node("Reshape", [inputs[0], onnx.Constant([0L, .. output.Select(size => (long)size)])]);
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("start_dim", StartDim);
        json.WriteNumber("end_dim", EndDim);
    }
}
