using System.Buffers.Binary;
using System.IO.Compression;
using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed (recognized by the gzip
/// magic bytes 1f 8b, whatever the file name).
/// </summary>
/// <remarks>
/// An IDX file is a 4-byte magic number — two zero bytes, the data type (0x08: unsigned byte, the
/// only one read here) and the number of dimensions d — then d big-endian 32-bit sizes, then the
/// values, row-major. Images are magic 0x00000803 ([N, rows, columns]), labels 0x00000801 ([N]).
/// The file must hold exactly the values its header announces. Every error is an
/// <see cref="InvalidDataException"/> that names the file.
/// </remarks>
public static class Idx
{
    /// <summary>The class names of Fashion-MNIST, by label.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Where Debian's dataset-fashion-mnist package installs its files.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Reads an image file as [N, 1, rows, columns] raw pixel values 0 … 255 (not scaled).</summary>
    public static Tensor ReadImages(string path)
    {
        var (dims, data) = ReadFile(path, 3, "images");
        var pixels = new float[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            pixels[i] = data[i];
        }
        return new Tensor(pixels, [dims[0], 1, dims[1], dims[2]]);
    }

    /// <summary>Reads a label file as its N byte values.</summary>
    public static byte[] ReadLabels(string path) => ReadFile(path, 1, "labels").Data;

    /// <summary>
    /// Reads a pair of image and label files as a classification dataset. With
    /// <paramref name="classNames"/>, every label must be below their count; without, the classes
    /// are "0" … the largest label.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label is out of range.</exception>
    public static Dataset Load(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != images.Shape[0])
        {
            throw new InvalidDataException(
                $"{labelsPath}: {labels.Length} labels for the {images.Shape[0]} images of {imagesPath}.");
        }
        var targets = new float[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (classNames is not null && labels[i] >= classNames.Count)
            {
                throw new InvalidDataException(
                    $"{labelsPath}: label {i} is {labels[i]}, but there are only {classNames.Count} classes.");
            }
            targets[i] = labels[i];
        }
        return new Dataset(images, new Tensor(targets, [labels.Length]), TaskKind.Classification, classNames);
    }

    /// <summary>
    /// Fashion-MNIST's training (60,000) and test (10,000) sets from
    /// <paramref name="directory"/>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is absent; the message says how to install them.</exception>
    public static LoadedData LoadFashionMnist(string directory = FashionMnistDirectory)
    {
        string PathOf(string name) => Path.Combine(directory, name);
        foreach (var name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
        {
            if (!File.Exists(PathOf(name)))
            {
                throw new FileNotFoundException(
                    $"fashion-mnist: {PathOf(name)} is missing; install the data set with `apt-get install dataset-fashion-mnist`.", PathOf(name));
            }
        }
        var train = Load(PathOf("train-images-idx3-ubyte.gz"), PathOf("train-labels-idx1-ubyte.gz"), FashionMnistClassNames);
        var test = Load(PathOf("t10k-images-idx3-ubyte.gz"), PathOf("t10k-labels-idx1-ubyte.gz"), FashionMnistClassNames);
        return new LoadedData(train, test);
    }

    /// <summary>
    /// Reads and validates one IDX file, streaming it (through gzip where compressed): the header
    /// first, then exactly the announced values into one array — an impossible size is refused
    /// before anything is allocated.
    /// </summary>
    private static (int[] Dims, byte[] Data) ReadFile(string path, int rank, string kind)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        using var file = File.OpenRead(path);
        Span<byte> magicBytes = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magicBytes, 2, throwOnEndOfStream: false) == 2 && magicBytes[0] == 0x1f && magicBytes[1] == 0x8b;
        file.Position = 0;
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            return ReadStream(stream, gzip ? null : file.Length, path, rank, kind);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({e.Message})", e);
        }
    }

    private static (int[] Dims, byte[] Data) ReadStream(Stream stream, long? rawLength, string path, int rank, string kind)
    {
        int headerLength = 4 + 4 * rank;
        var header = new byte[headerLength];
        int got = stream.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw new InvalidDataException($"{path}: {got} bytes is too short for an IDX header.");
        }
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint expected = 0x0800u | (uint)rank;
        if (magic != expected)
        {
            throw new InvalidDataException(
                $"{path}: magic number 0x{magic:X8}, expected 0x{expected:X8} (IDX {kind}: unsigned bytes, {rank} dimension{(rank == 1 ? "" : "s")}).");
        }
        if (got < headerLength)
        {
            throw new InvalidDataException($"{path}: the file ends inside the header ({got} of {headerLength} bytes).");
        }
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue || (d > 0 && size > 65536))
            {
                throw new InvalidDataException($"{path}: dimension {d} has the impossible size {size}.");
            }
            dims[d] = (int)size;
            count *= size;
        }
        if (rawLength is long length && length - headerLength != count)
        {
            throw Mismatch(path, dims, count, length - headerLength);
        }
        if (count > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: the header announces {count} values ({Shapes.Format(dims)}), more than can be held in memory.");
        }
        var data = GC.AllocateUninitializedArray<byte>((int)count);
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < count)
        {
            throw Mismatch(path, dims, count, read);
        }
        long extra = 0;
        var rest = new byte[4096];
        for (int n; (n = stream.Read(rest)) > 0;)
        {
            extra += n;
        }
        if (extra > 0)
        {
            throw Mismatch(path, dims, count, count + extra);
        }
        return (dims, data);
    }

    private static InvalidDataException Mismatch(string path, int[] dims, long count, long actual) => new(actual < count
        ? $"{path}: truncated: the header announces {count} values ({Shapes.Format(dims)}) but the file holds {actual}."
        : $"{path}: the header announces {count} values ({Shapes.Format(dims)}) but the file holds {actual - count} bytes more.");
}
