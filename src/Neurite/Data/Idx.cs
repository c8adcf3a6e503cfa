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
        var (pixels, shape) = ReadImageBytes(path);
        var values = GC.AllocateUninitializedArray<float>(pixels.Length);
        for (int i = 0; i < pixels.Length; i++)
        {
            values[i] = pixels[i];
        }
        return new Tensor(values, shape);
    }

    /// <summary>Reads an image file as its bytes, the pixel values 0 … 255, and their shape [N, 1, rows, columns].</summary>
    public static (byte[] Pixels, int[] Shape) ReadImageBytes(string path)
    {
        var (dims, pixels) = ReadFile(path, 3, "images");
        return (pixels, [dims[0], 1, dims[1], dims[2]]);
    }

    /// <summary>Reads a label file as its N byte values.</summary>
    public static byte[] ReadLabels(string path) => ReadFile(path, 1, "labels").Values;

    /// <summary>
    /// Reads a pair of image and label files as a classification dataset whose images stay the bytes they are
    /// stored in (<see cref="Dataset.FromBytes"/>). With
    /// <paramref name="classNames"/>, every label must be below their count; without, the classes
    /// are "0" … the largest label.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label is out of range.</exception>
    public static Dataset Load(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var (pixels, shape) = ReadImageBytes(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != shape[0])
        {
            throw new InvalidDataException(
                $"{labelsPath}: {labels.Length} labels for the {shape[0]} images of {imagesPath}.");
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
        return Dataset.FromBytes(pixels, shape, new Tensor(targets, [labels.Length]), TaskKind.Classification, classNames);
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
        // The two sets are decompressed at once, the test set on a pool thread: decompressing is the most of reading them.
        var test = Task.Run(() => Load(PathOf("t10k-images-idx3-ubyte.gz"), PathOf("t10k-labels-idx1-ubyte.gz"), FashionMnistClassNames));
        var train = Load(PathOf("train-images-idx3-ubyte.gz"), PathOf("train-labels-idx1-ubyte.gz"), FashionMnistClassNames);
        return new LoadedData(train, test.GetAwaiter().GetResult());
    }

    /// <summary>The most a deflate stream can expand: 1032 to 1 (a run of one byte value).</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Checks the header of an IDX file and decompresses its values straight into the array it returns with the
    /// dimensions: no other copy of the file is held.
    /// </summary>
    private static (int[] Dims, byte[] Values) ReadFile(string path, int rank, string kind)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        using var file = File.OpenRead(path);
        Span<byte> start = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(start, 2, throwOnEndOfStream: false) == 2 && start[0] == 0x1f && start[1] == 0x8b;
        file.Position = 0;
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;

        int headerLength = 4 + 4 * rank;
        var header = new byte[headerLength];
        int headerRead = Read(stream, header.AsSpan(0, 4), path);
        if (headerRead < 4)
        {
            throw new InvalidDataException($"{path}: {headerRead} bytes is too short for an IDX header.");
        }
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint expected = 0x0800u | (uint)rank;
        if (magic != expected)
        {
            throw new InvalidDataException(
                $"{path}: magic number 0x{magic:X8}, expected 0x{expected:X8} (IDX {kind}: unsigned bytes, {rank} dimension{(rank == 1 ? "" : "s")}).");
        }
        headerRead += Read(stream, header.AsSpan(4), path);
        if (headerRead < headerLength)
        {
            throw new InvalidDataException($"{path}: the file ends inside the header ({headerRead} of {headerLength} bytes).");
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

        // A header announcing more values than the file can hold is refused before anything that size is allocated.
        if (gzip && count > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the header announces {count} values ({Shapes.Format(dims)}), more than can be held in memory.");
        }
        long mostValues = gzip ? file.Length * MaxDeflateRatio : file.Length - headerLength;
        var chunk = new byte[1 << 16];
        long actual = 0;
        byte[] values = [];
        if (count <= Math.Min(mostValues, Array.MaxLength))
        {
            values = GC.AllocateUninitializedArray<byte>((int)count);
            actual = Read(stream, values, path);
        }
        long extra = 0;
        for (int read; (read = Read(stream, chunk, path)) > 0;)
        {
            extra += read;
        }
        if (actual < count)
        {
            throw new InvalidDataException(
                $"{path}: truncated: the header announces {count} values ({Shapes.Format(dims)}) but the file holds {actual + extra}.");
        }
        if (extra > 0)
        {
            throw new InvalidDataException(
                $"{path}: the header announces {count} values ({Shapes.Format(dims)}) but the file holds {extra} bytes more.");
        }
        return (dims, values);
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the data ends; returns the bytes read.</summary>
    private static int Read(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({e.Message})", e);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: the gzip data is truncated.");
        }
    }
}
