using System.IO.Compression;

namespace Neurite.Tests.Support;

/// <summary>
/// A temporary folder holding the first few Fashion-MNIST training images and labels (from Debian's
/// dataset-fashion-mnist, which test.sh installs) as plain IDX files, for examples trained at a reduced size.
/// </summary>
internal sealed class FashionMnistSubset : IDisposable
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>Copies the first <paramref name="images"/> records into a new folder whose name starts with <paramref name="prefix"/>.</summary>
    public FashionMnistSubset(string prefix, int images)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        Copy("train-images-idx3-ubyte.gz", "images", 16, 28 * 28, images);
        Copy("train-labels-idx1-ubyte.gz", "labels", 8, 1, images);
    }

    /// <summary>The folder; tests write their own files beside the data.</summary>
    public string Directory { get; }

    /// <summary>The data source for a spec or <c>--data</c>: <c>idx:IMAGES,LABELS</c>.</summary>
    public string Source => $"idx:{PathOf("images")},{PathOf("labels")}";

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>The first <paramref name="count"/> records of a gzipped IDX file, as a plain IDX file (the count in its header changed).</summary>
    private void Copy(string file, string name, int header, int recordSize, int count)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(FashionMnist, file)), CompressionMode.Decompress);
        var bytes = new byte[header + count * recordSize];
        gzip.ReadExactly(bytes);
        (bytes[4], bytes[5], bytes[6], bytes[7]) = (0, 0, (byte)(count >> 8), (byte)count);
        File.WriteAllBytes(PathOf(name), bytes);
    }
}
