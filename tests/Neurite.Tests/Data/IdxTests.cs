using System.Buffers.Binary;
using System.IO.Compression;
using Neurite.Data;

namespace Neurite.Tests.Data;

/// <summary>The IDX reader on small files written here (raw and gzip), every validation error, and real Fashion-MNIST.</summary>
public sealed class IdxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An IDX file: magic 0x0000 08 d, d big-endian sizes, the bytes.</summary>
    private static byte[] Idx(uint magic, int[] dims, byte[] values)
    {
        var bytes = new byte[4 + 4 * dims.Length + values.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        }
        values.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }
        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // Three 2×3 images with pixel values 10·image + position, and their labels.
    private static readonly byte[] Pixels = [.. Enumerable.Range(0, 18).Select(i => (byte)(10 * (i / 6) + i % 6 + 200 * (i == 17 ? 1 : 0)))];

    private static readonly byte[] Labels = [2, 0, 1];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_and_labels_read_back_raw_or_gzipped(bool compress)
    {
        byte[] Maybe(byte[] b) => compress ? Gzip(b) : b;
        string images = Write("images", Maybe(Idx(0x0803, [3, 2, 3], Pixels)));
        string labels = Write("labels", Maybe(Idx(0x0801, [3], Labels)));
        var data = Neurite.Data.Idx.Load(images, labels);
        Assert.Equal([3, 1, 2, 3], data.Features.Shape.ToArray());
        Assert.Equal(Pixels.Select(p => (float)p).ToArray(), data.Features.ToArray());
        // Image 2, row 1, column 2 is pixel 17: 10·2 + 5, plus the 200 that marks the last pixel.
        Assert.Equal(225f, data.Features[2, 0, 1, 2]);
        Assert.Equal([2f, 0f, 1f], data.Targets.ToArray());
        Assert.Equal(["0", "1", "2"], data.ClassNames);
    }

    public static TheoryData<string, byte[], string> BadImageFiles => new()
    {
        { "wrong magic", Idx(0x0801, [3], Labels), "magic number 0x00000801, expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions)." },
        { "float data", Idx(0x0D03, [1, 1, 1], [0, 0, 0, 0]), "magic number 0x00000D03, expected 0x00000803" },
        { "truncated data", Idx(0x0803, [3, 2, 3], Pixels[..17]), "truncated: the header announces 18 values ([3, 2, 3]) but the file holds 17." },
        { "trailing bytes", Idx(0x0803, [3, 2, 3], [.. Pixels, 1, 2]), "the header announces 18 values ([3, 2, 3]) but the file holds 2 bytes more." },
        { "truncated header", Idx(0x0803, [3], []), "the file ends inside the header (8 of 16 bytes)." },
        { "zero size", Idx(0x0803, [0, 2, 3], []), "dimension 0 has the impossible size 0." },
        { "negative size", Idx(0x0803, [-1, 2, 3], []), "dimension 0 has the impossible size 4294967295." },
        { "tiny", [0, 0], "2 bytes is too short for an IDX header." },
    };

    [Theory]
    [MemberData(nameof(BadImageFiles))]
    public void Every_malformed_image_file_is_refused_naming_it(string name, byte[] bytes, string expected)
    {
        string path = Write(name.Replace(' ', '-'), bytes);
        var e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(path));
        Assert.StartsWith($"{path}: {expected}", e.Message);
        string gz = Write(name.Replace(' ', '-') + ".gz", Gzip(bytes));
        e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(gz));
        Assert.StartsWith($"{gz}: {expected}", e.Message);
    }

    [Fact]
    public void Label_files_are_checked_and_must_match_the_images()
    {
        string images = Write("images", Idx(0x0803, [3, 2, 3], Pixels));
        string wrongMagic = Write("labels-magic", Idx(0x0803, [3, 1, 1], Labels));
        var e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.Load(images, wrongMagic));
        Assert.Equal($"{wrongMagic}: magic number 0x00000803, expected 0x00000801 (IDX labels: unsigned bytes, 1 dimension).", e.Message);

        string two = Write("labels-two", Idx(0x0801, [2], Labels[..2]));
        e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.Load(images, two));
        Assert.Equal($"{two}: 2 labels for the 3 images of {images}.", e.Message);

        string labels = Write("labels", Idx(0x0801, [3], Labels));
        e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.Load(images, labels, ["a", "b"]));
        Assert.Equal($"{labels}: label 0 is 2, but there are only 2 classes.", e.Message);
    }

    [Fact]
    public void Truncated_or_corrupt_gzip_data_is_refused_naming_the_file()
    {
        var gz = Gzip(Idx(0x0803, [3, 2, 3], Pixels));
        string truncated = Write("cut.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(truncated));
        Assert.StartsWith($"{truncated}: truncated", e.Message);
        // Byte 2 of a gzip header is the compression method, 8 (deflate) being the only one defined.
        var corrupt = (byte[])gz.Clone();
        corrupt[2] = 0;
        string bad = Write("bad.gz", corrupt);
        e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(bad));
        Assert.StartsWith($"{bad}: the gzip data is corrupt", e.Message);
    }

    [Fact]
    public void An_impossible_size_is_refused_before_anything_is_allocated()
    {
        // 2³¹ − 1 images of 65536 × 65536 pixels: the gzip stream gives no length to compare, so the
        // size itself must be refused (allocating it first would throw OutOfMemoryException instead).
        string gz = Write("huge.gz", Gzip(Idx(0x0803, [int.MaxValue, 65536, 65536], [1, 2, 3])));
        var e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(gz));
        Assert.Equal($"{gz}: the header announces {(long)int.MaxValue * 65536 * 65536} values ([2147483647, 65536, 65536]), more than can be held in memory.", e.Message);
        string raw = Write("huge", Idx(0x0803, [int.MaxValue, 65536, 65536], [1, 2, 3]));
        e = Assert.Throws<InvalidDataException>(() => Neurite.Data.Idx.ReadImages(raw));
        Assert.StartsWith($"{raw}: truncated", e.Message);
    }

    [Fact]
    public void A_missing_fashion_mnist_says_how_to_install_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Neurite.Data.Idx.LoadFashionMnist(_directory));
        Assert.Equal(
            $"fashion-mnist: {Path.Combine(_directory, "train-images-idx3-ubyte.gz")} is missing; install the data set with `apt-get install dataset-fashion-mnist`.",
            e.Message);
    }

    [Fact]
    public void Fashion_mnist_has_60000_training_and_10000_test_images_with_6000_and_1000_per_class()
    {
        var data = DataSources.Load("fashion-mnist");
        var train = data.Train;
        var test = data.Test!;
        Assert.Equal([60000, 1, 28, 28], train.Features.Shape.ToArray());
        Assert.Equal([10000, 1, 28, 28], test.Features.Shape.ToArray());
        Assert.Equal(Neurite.Data.Idx.FashionMnistClassNames, train.ClassNames);
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        Assert.All(Histogram(train), n => Assert.Equal(6000, n));
        Assert.All(Histogram(test), n => Assert.Equal(1000, n));
        // Raw pixels, not scaled: 0 … 255 and both ends used.
        Assert.Equal(0f, train.Features.Min().Item());
        Assert.Equal(255f, train.Features.Max().Item());
        // The first training image is an ankle boot (label 9), as in every copy of the data set.
        Assert.Equal(9f, train.Targets[0]);
    }

    private static int[] Histogram(Dataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (float c in data.Targets)
        {
            counts[(int)c]++;
        }
        return counts;
    }
}
