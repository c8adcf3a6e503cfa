using Neurite.IO;
using Neurite.Tensors;

namespace Neurite.Imaging;

/// <summary>
/// An 8-bit image in memory: <see cref="Width"/> × <see cref="Height"/> pixels of 1 (gray) or 3 (RGB) bytes each,
/// row-major, top row first. Made from values (<see cref="FromValues"/>), as a grid of images (<see cref="Grid"/>) or as
/// a scatter plot (<see cref="Scatter"/>), and written as a PNG (<see cref="ToPng"/>, <see cref="Save"/>).
/// </summary>
public sealed class Picture
{
    /// <summary>The ten colours of matplotlib's "tab10" palette (RGB), which <see cref="Scatter"/> gives classes 0 … 9 (then again).</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> Palette { get; } =
    [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ];

    /// <summary>A picture of the given size, every byte <paramref name="fill"/>.</summary>
    /// <exception cref="ArgumentException">The size is not positive or too large, or the channels are not 1 or 3.</exception>
    public Picture(int width, int height, int channels, byte fill = 0)
    {
        if (width < 1 || height < 1 || channels is not (1 or 3) || (long)width * height * channels > Array.MaxLength)
        {
            throw new ArgumentException($"Picture: cannot hold {width}×{height} pixels of {channels} channel(s) (1 or 3).");
        }
        (Width, Height, Channels) = (width, height, channels);
        Pixels = new byte[width * height * channels];
        Array.Fill(Pixels, fill);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The bytes, row-major, <see cref="Channels"/> per pixel.</summary>
    public byte[] Pixels { get; }

    /// <summary>The PNG file's bytes.</summary>
    public byte[] ToPng() => Png.Encode(Width, Height, Channels, Pixels);

    /// <summary>Writes the PNG file (to a temporary name, then renamed).</summary>
    public void Save(string path) => AtomicFile.Write(path, stream => stream.Write(ToPng()));

    /// <summary>
    /// The image of <paramref name="values"/> (planar: channel by channel, each row-major, as one CHW image), each value
    /// mapped linearly from [<paramref name="low"/>, <paramref name="high"/>] to 0 … 255 and clamped.
    /// </summary>
    /// <exception cref="ArgumentException">The values do not fill the image, or low ≥ high.</exception>
    public static Picture FromValues(ReadOnlySpan<float> values, int width, int height, int channels = 1, float low = 0, float high = 1)
    {
        var picture = new Picture(width, height, channels);
        if (values.Length != picture.Pixels.Length || !(high > low))
        {
            throw new ArgumentException($"Picture: {values.Length} values for a {width}×{height} image of {channels} channel(s), range [{low}, {high}].");
        }
        picture.Paste(values, 0, 0, width, height, low, high);
        return picture;
    }

    /// <summary>
    /// The images of <paramref name="images"/> ([N, H, W], or [N, C, H, W] with C 1 or 3) tiled in rows of
    /// <paramref name="columns"/> (0: ⌈√N⌉), with <paramref name="padding"/> pixels of <paramref name="background"/>
    /// between and around them, as torchvision's make_grid (padding 2, black); values map from [low, high] to 0 … 255.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor's shape is not one of these, or an argument is out of range.</exception>
    public static Picture Grid(Tensor images, int columns = 0, int padding = 2, byte background = 0, float low = 0, float high = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        var shape = images.Shape;
        if (!(shape.Length == 3 || (shape.Length == 4 && shape[1] is 1 or 3)) || shape[0] == 0 || padding < 0 || columns < 0 || !(high > low))
        {
            throw new ArgumentException(
                $"Picture.Grid: expected images [N, H, W] or [N, C, H, W] with C 1 or 3, N ≥ 1, padding and columns ≥ 0 and low < high; got {Shapes.Format(shape)}.");
        }
        int n = shape[0], channels = shape.Length == 4 ? shape[1] : 1, h = shape[^2], w = shape[^1];
        int across = columns > 0 ? Math.Min(columns, n) : (int)Math.Ceiling(Math.Sqrt(n));
        int down = (n + across - 1) / across;
        var picture = new Picture(across * (w + padding) + padding, down * (h + padding) + padding, channels, background);
        var values = images.Data;
        int size = channels * h * w;
        for (int i = 0; i < n; i++)
        {
            picture.Paste(values.Slice(i * size, size), padding + i % across * (w + padding), padding + i / across * (h + padding), w, h, low, high);
        }
        return picture;
    }

    /// <summary>
    /// A scatter plot of the points (<paramref name="x"/>[i], <paramref name="y"/>[i]) on white, each a 3×3 square in the
    /// colour of its class (<see cref="Palette"/>; gray without classes), the axes' ranges fitted to the points with a
    /// margin and a gray frame. Points are drawn in order, so later ones cover earlier ones.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, there are no points, a value is not finite, or the size is under 16.</exception>
    public static Picture Scatter(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<int> classes, int size = 480)
    {
        if (x.Length != y.Length || x.Length == 0 || (classes.Length != 0 && classes.Length != x.Length) || size < 16)
        {
            throw new ArgumentException($"Picture.Scatter: {x.Length} x values, {y.Length} y values and {classes.Length} classes (none, or one per point) in a plot of {size} pixels (at least 16).");
        }
        float xMin = float.PositiveInfinity, xMax = float.NegativeInfinity, yMin = float.PositiveInfinity, yMax = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]) || !float.IsFinite(y[i]))
            {
                throw new ArgumentException($"Picture.Scatter: point {i} is ({x[i]}, {y[i]}), not finite.");
            }
            (xMin, xMax, yMin, yMax) = (Math.Min(xMin, x[i]), Math.Max(xMax, x[i]), Math.Min(yMin, y[i]), Math.Max(yMax, y[i]));
        }
        var picture = new Picture(size, size, 3, 255);
        int margin = size / 20, inner = size - 2 * margin - 1;
        for (int t = margin; t <= size - margin - 1; t++)
        {
            picture.Set(t, margin, (160, 160, 160));
            picture.Set(t, size - margin - 1, (160, 160, 160));
            picture.Set(margin, t, (160, 160, 160));
            picture.Set(size - margin - 1, t, (160, 160, 160));
        }
        float xSpan = xMax > xMin ? xMax - xMin : 1, ySpan = yMax > yMin ? yMax - yMin : 1;
        for (int i = 0; i < x.Length; i++)
        {
            int px = margin + (int)MathF.Round((x[i] - xMin) / xSpan * inner);
            int py = size - 1 - margin - (int)MathF.Round((y[i] - yMin) / ySpan * inner); // y grows upwards
            var colour = classes.Length == 0 ? Palette[7] : Palette[((classes[i] % Palette.Count) + Palette.Count) % Palette.Count];
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    picture.Set(px + dx, py + dy, colour);
                }
            }
        }
        return picture;
    }

    /// <summary>Copies a planar image of <see cref="Channels"/> planes of w × h values with its top-left corner at (left, top).</summary>
    private void Paste(ReadOnlySpan<float> values, int left, int top, int w, int h, float low, float high)
    {
        float scale = 255f / (high - low);
        for (int c = 0; c < Channels; c++)
        {
            for (int r = 0; r < h; r++)
            {
                for (int col = 0; col < w; col++)
                {
                    float v = (values[(c * h + r) * w + col] - low) * scale;
                    Pixels[((top + r) * Width + left + col) * Channels + c] = (byte)MathF.Round(float.IsNaN(v) ? 0 : Math.Clamp(v, 0, 255));
                }
            }
        }
    }

    /// <summary>Colours one pixel of an RGB picture; outside the picture, nothing.</summary>
    private void Set(int x, int y, (byte R, byte G, byte B) colour)
    {
        if (x >= 0 && x < Width && y >= 0 && y < Height)
        {
            int at = (y * Width + x) * 3;
            (Pixels[at], Pixels[at + 1], Pixels[at + 2]) = colour;
        }
    }
}
