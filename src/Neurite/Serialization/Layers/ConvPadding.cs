using System.Text.Json;

namespace Neurite.Serialization;

/// <summary>
/// A convolution's padding as a spec gives it: zeros on both sides of each image axis (<c>1</c> or <c>[1, 2]</c>), or
/// <c>"same"</c>, which pads d·(k − 1) per axis, the smaller half before, so that a stride-1 output keeps the input's size.
/// </summary>
public readonly record struct ConvPadding(bool IsSame, int H, int W)
{
    /// <summary>No padding, the default.</summary>
    public static ConvPadding None => new(false, 0, 0);

    /// <summary>PyTorch's <c>padding="same"</c>.</summary>
    public static ConvPadding Same => new(true, 0, 0);

    /// <summary>These many zeros on both sides of each axis.</summary>
    public static ConvPadding Explicit((int H, int W) size) => new(false, size.H, size.W);

    internal void Write(Utf8JsonWriter json, string name)
    {
        if (IsSame)
        {
            json.WriteString(name, "same");
        }
        else
        {
            WritePair(json, name, (H, W));
        }
    }

    /// <summary>Writes a per-axis size back as a spec gives it: one integer when both axes agree, else <c>[h, w]</c>.</summary>
    internal static void WritePair(Utf8JsonWriter json, string name, (int H, int W) pair)
    {
        if (pair.H == pair.W)
        {
            json.WriteNumber(name, pair.H);
            return;
        }
        json.WriteStartArray(name);
        json.WriteNumberValue(pair.H);
        json.WriteNumberValue(pair.W);
        json.WriteEndArray();
    }
}
