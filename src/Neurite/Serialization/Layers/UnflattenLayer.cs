using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>unflatten</c>: splits axis dim (1 by default, the first after the batch axis; negative counts from the end) into
/// unflattened_size, whose product is that axis's size, as torch.nn.Unflatten: [N, 1568] to [N, 32, 7, 7].
/// </summary>
public sealed record UnflattenSpec(IReadOnlyList<int> UnflattenedSize, int Dim = 1) : LayerSpec
{
    internal static LayerType Definition { get; } = new("unflatten", ["dim", "unflattened_size"], f => new UnflattenSpec(
        f.RequiredIntList("unflattened_size"), f.Int("dim", 1, int.MinValue + 1)));

    public override string Type => "unflatten";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        int rank = input.Length + 1, axis = Dim < 0 ? Dim + rank : Dim;
        if (axis < 1 || axis >= rank)
        {
            throw context.Error("dim", $"dim {Dim} is not an axis of a sample (1..{rank - 1}, the batch axis 0 excluded)");
        }
        long product = UnflattenedSize.Aggregate(1L, (a, b) => Math.Min(a * b, long.MaxValue / 2));
        if (product != input[axis - 1])
        {
            throw context.Error("unflattened_size",
                $"{Shapes.Format([.. UnflattenedSize])} holds {product} values, but axis {Dim} of the input {Shapes.Format(input)} has {input[axis - 1]}");
        }
        return [.. input[..(axis - 1)], .. UnflattenedSize, .. input[axis..]];
    }

    public override Module Build(LayerContext context, Generator rng) => new Unflatten(Dim, UnflattenedSize);

    /// <summary>A Reshape to the output shape, the batch axis copied from the input (0).</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) =>
        onnx.Node("Reshape", [inputs[0], onnx.Constant([0L, .. OutputShape(context).Select(size => (long)size)])]);

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("dim", Dim);
        json.WriteStartArray("unflattened_size");
        foreach (int size in UnflattenedSize)
        {
            json.WriteNumberValue(size);
        }
        json.WriteEndArray();
    }

    public bool Equals(UnflattenSpec? other) => other is not null && Dim == other.Dim && UnflattenedSize.SequenceEqual(other.UnflattenedSize);

    public override int GetHashCode() => HashCode.Combine(Dim, UnflattenedSize.Count);
}
