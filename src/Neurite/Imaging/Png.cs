using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Neurite.Imaging;

/// <summary>
/// A minimal PNG writer: 8-bit grayscale or RGB, no interlacing, every row with filter type 0, the pixels
/// zlib-compressed (System.IO.Compression) in one IDAT chunk (PNG specification, ISO/IEC 15948).
/// </summary>
public static class Png
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>
    /// The PNG of a <paramref name="width"/> × <paramref name="height"/> image, row-major, with 1 (gray) or 3 (RGB)
    /// <paramref name="channels"/> bytes per pixel.
    /// </summary>
    /// <exception cref="ArgumentException">The size is not positive, the channels are not 1 or 3, or the pixels do not fill the image.</exception>
    public static byte[] Encode(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        if (width < 1 || height < 1 || channels is not (1 or 3) || pixels.Length != (long)width * height * channels)
        {
            throw new ArgumentException($"Png: {pixels.Length} bytes for a {width}×{height} image of {channels} channels.", nameof(pixels));
        }
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = channels == 1 ? (byte)0 : (byte)2; // color type: grayscale or truecolor
        Chunk(png, "IHDR", header);

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(pixels.Slice(y * stride, stride));
            }
        }
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A chunk: length, type, data, and the CRC-32 of type and data, big-endian.</summary>
    private static void Chunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        png.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

    /// <summary>The table of the reflected CRC-32 with polynomial 0xEDB88320, as in the PNG specification's annex D.</summary>
    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
