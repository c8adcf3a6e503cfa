using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Neurite.Autograd;
using Neurite.Cli;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Cli;

/// <summary>The training report of a CNN: its first layer's filters and the feature maps of held-out images, as PNG images.</summary>
public sealed partial class CnnReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-cnn-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    [Fact]
    public void A_cnn_report_shows_one_image_per_filter_and_per_feature_map_computed_from_the_model()
    {
        // 8×8 images of a vertical or a horizontal bar with noise, as CSV rows of 64 pixels read into [1, 8, 8].
        var rng = new Random(3);
        var rows = new List<float[]>();
        var lines = new List<string> { string.Join(',', Enumerable.Range(1, 64).Select(i => $"x{i}")) + ",label" };
        for (int i = 0; i < 40; i++)
        {
            int label = i % 2, at = rng.Next(8);
            var image = Enumerable.Range(0, 64).Select(p => (label == 0 ? p % 8 == at : p / 8 == at) ? 1f : 0.2f * (float)rng.NextDouble()).ToArray();
            rows.Add(image);
            lines.Add(string.Join(',', image.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + $",{label}");
        }
        File.WriteAllLines(PathOf("bars.csv"), lines);
        // conv 4@3×3 (padding 1) → [4, 8, 8], pool → [4, 4, 4], conv 6@3×3 → [6, 2, 2].
        File.WriteAllText(PathOf("bars.json"), """
            {"input": [1, 8, 8], "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
             {"type": "max_pool2d", "kernel": 2}, {"type": "conv2d", "out": 6, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
             {"type": "linear", "out": 2}],
             "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 2, "batch_size": 8,
             "data": {"source": "bars.csv", "test_split": 0.25}}
            """);
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.True(NeuriteCommandLine.Run(["train", PathOf("bars.json"), "--out", PathOf("bars.safetensors"), "--json"], output, error) == 0, error.ToString());
        string report = File.ReadAllText(PathOf("bars.report.html"));

        Assert.Contains("<h2>First-layer filters</h2><p>Layer 0: 4 filters of 3×3;", report);
        Assert.Contains("<h2>Feature maps</h2>", report);
        Assert.Contains("<p>Layer 0: 4 maps of 8×8</p>", report);
        Assert.Contains("<p>Layer 3: 6 maps of 2×2</p>", report);
        var filters = Images(report, "filter");
        var inputs = Images(report, "input");
        var maps = Images(report, "fmap");
        Assert.Equal(4, filters.Count); // one per output channel of the first conv
        Assert.Equal(3, inputs.Count); // three held-out images …
        Assert.Equal(3 * (4 + 6), maps.Count); // … each with every channel of both convs
        Assert.DoesNotContain("http://", report.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal));

        var model = ModelFile.Load(PathOf("bars.safetensors")).Module;
        var conv = (Conv2d)((Sequential)model)[0];
        // Filter o is the diverging picture of its weights (one input channel) on the scale of the largest |w|.
        var w = conv.Weight.ToArray();
        float scale = w.Max(MathF.Abs);
        for (int o = 0; o < 4; o++)
        {
            var (width, height, channels, pixels) = Decode(filters[o]);
            Assert.Equal((3, 3, 3), (width, height, channels));
            for (int p = 0; p < 9; p++)
            {
                float t = w[o * 9 + p] / scale;
                byte fade = (byte)MathF.Round(255 * (1 - MathF.Abs(t)));
                byte[] expected = t >= 0 ? [255, fade, fade] : [fade, fade, 255];
                Assert.Equal(expected, pixels[(3 * p)..(3 * p + 3)]);
            }
        }

        // The first held-out image is one of the CSV rows (its picture scaled to 0…255); its first-layer maps are the
        // saved model's conv 0 applied to that row, each scaled to 0…255.
        var (_, _, _, input) = Decode(inputs[0]);
        var row = rows.Single(r => Gray(r).SequenceEqual(input));
        using var _ = Graph.NoGrad();
        var expectedMaps = conv.Call(Tensor.From(row, [1, 1, 8, 8])).ToArray();
        for (int c = 0; c < 4; c++)
        {
            var (width, height, channels, pixels) = Decode(maps[c]);
            Assert.Equal((8, 8, 1), (width, height, channels));
            var expected = Gray(expectedMaps[(c * 64)..((c + 1) * 64)]);
            Assert.All(Enumerable.Range(0, 64), i => Assert.InRange(pixels[i] - expected[i], -1, 1));
        }
    }

    /// <summary>Values scaled from their minimum (0) to their maximum (255).</summary>
    private static byte[] Gray(float[] values)
    {
        float low = values.Min(), high = values.Max(), range = high > low ? high - low : 1f;
        return [.. values.Select(v => (byte)MathF.Round(255 * (v - low) / range))];
    }

    /// <summary>The base64 PNGs of the report's &lt;img&gt; elements of one class, in order.</summary>
    private static List<string> Images(string report, string kind) =>
        [.. ImageElement().Matches(report).Where(m => m.Groups[1].Value == kind).Select(m => m.Groups[2].Value)];

    [GeneratedRegex("<img class=\"([a-z]+)\"[^>]* src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">")]
    private static partial Regex ImageElement();

    /// <summary>
    /// Reads a PNG as the report writes it (8-bit gray or RGB, filter type 0): checks the signature and every chunk's
    /// CRC-32 (computed bit by bit here), inflates IDAT and returns the pixels.
    /// </summary>
    private static (int Width, int Height, int Channels, byte[] Pixels) Decode(string base64)
    {
        var png = Convert.FromBase64String(base64);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        int width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            Assert.Equal(Crc32(png.AsSpan(at + 4, length + 4)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)));
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
                Assert.Equal(8, data[8]);
                channels = data[9] == 0 ? 1 : data[9] == 2 ? 3 : throw new InvalidDataException($"color type {data[9]}");
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(raw);
        }
        var bytes = raw.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), bytes.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * (stride + 1)]);
            Array.Copy(bytes, y * (stride + 1) + 1, pixels, y * stride, stride);
        }
        return (width, height, channels, pixels);
    }

    /// <summary>CRC-32 (reflected, polynomial 0xEDB88320), bit by bit; CRC32("IEND") = 0xAE426082.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
            }
        }
        return ~crc;
    }

    [Fact]
    public void The_bitwise_crc_agrees_with_the_png_specifications_iend_chunk()
    {
        Assert.Equal(0xAE426082u, Crc32("IEND"u8));
    }
}
