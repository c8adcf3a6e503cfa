using System.Diagnostics;
using Neurite.Imaging;
using Neurite.Tensors;

namespace Neurite.Tests.Imaging;

/// <summary>The PNG writer and the pictures it writes, decoded by Debian's python3-pil (Pillow), an independent decoder.</summary>
public sealed class PictureTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neurite-png-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Pillow's reading of a PNG file: its mode, width, height and every byte, row-major.</summary>
    internal static (string Mode, int Width, int Height, byte[] Pixels) Decode(string path)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList =
            {
                "-c",
                "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); "
                + "sys.stdout.write(im.mode + ' ' + str(im.size[0]) + ' ' + str(im.size[1]) + ' ' + im.tobytes().hex())",
                path,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = Process.Start(start)!;
        string output = python.StandardOutput.ReadToEnd(), error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, $"Pillow could not read {path} (apt-get install python3-pil): {error}");
        var parts = output.Split(' ');
        return (parts[0], int.Parse(parts[1]), int.Parse(parts[2]), Convert.FromHexString(parts[3]));
    }

    [Theory]
    [InlineData(1, "L")]
    [InlineData(3, "RGB")]
    public void Png_decodes_to_the_same_pixels(int channels, string mode)
    {
        var picture = new Picture(37, 5, channels);
        var rng = new Generator(7);
        for (int i = 0; i < picture.Pixels.Length; i++)
        {
            picture.Pixels[i] = (byte)rng.NextInt(256);
        }
        string path = Path.Combine(_folder, $"random{channels}.png");
        picture.Save(path);

        var decoded = Decode(path);
        Assert.Equal((mode, 37, 5), (decoded.Mode, decoded.Width, decoded.Height));
        Assert.Equal(picture.Pixels, decoded.Pixels);
    }

    [Fact]
    public void Grid_tiles_images_with_padding_in_rows()
    {
        // Five 2×3 images in rows of 2 with 1 pixel of padding: 3 rows, 2·(3+1)+1 = 9 wide, 3·(2+1)+1 = 10 high.
        var images = Tensor.From([.. Enumerable.Range(0, 30).Select(i => i / 29f)], [5, 2, 3]);
        var grid = Picture.Grid(images, columns: 2, padding: 1, background: 9);
        string path = Path.Combine(_folder, "grid.png");
        grid.Save(path);
        var decoded = Decode(path);

        Assert.Equal(("L", 9, 10), (decoded.Mode, decoded.Width, decoded.Height));
        for (int n = 0; n < 5; n++)
        {
            for (int r = 0; r < 2; r++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int x = 1 + n % 2 * 4 + c, y = 1 + n / 2 * 3 + r;
                    Assert.Equal((byte)MathF.Round(images.Data[n * 6 + r * 3 + c] * 255), decoded.Pixels[y * 9 + x]);
                }
            }
        }
        Assert.Equal(9, decoded.Pixels[0]);                     // the border
        Assert.Equal(9, decoded.Pixels[4]);                     // between the columns
        Assert.Equal(9, decoded.Pixels[7 * 9 + 5]);          // the empty sixth tile
    }

    [Fact]
    public void Grid_of_rgb_images_interleaves_the_planes()
    {
        var images = Tensor.From([0f, 1f, 0.5f, 0f, 1f, 0.5f], [1, 3, 1, 2]); // R = [0, 1], G = [0.5, 0], B = [1, 0.5]
        var grid = Picture.Grid(images, padding: 0);
        Assert.Equal((2, 1, 3), (grid.Width, grid.Height, grid.Channels));
        Assert.Equal(new byte[] { 0, 128, 255, 255, 0, 128 }, grid.Pixels);
    }

    [Fact]
    public void Scatter_plots_each_class_in_its_colour()
    {
        var plot = Picture.Scatter([0f, 1f], [0f, 1f], [0, 3], size: 100);
        string path = Path.Combine(_folder, "scatter.png");
        plot.Save(path);
        var decoded = Decode(path);
        Assert.Equal(("RGB", 100, 100), (decoded.Mode, decoded.Width, decoded.Height));
        (byte, byte, byte) At(int x, int y) => (decoded.Pixels[(y * 100 + x) * 3], decoded.Pixels[(y * 100 + x) * 3 + 1], decoded.Pixels[(y * 100 + x) * 3 + 2]);
        Assert.Equal(Picture.Palette[0], At(5, 94));  // (0, 0): bottom left, inside the 5-pixel margin
        Assert.Equal(Picture.Palette[3], At(94, 5));  // (1, 1): top right
        Assert.Equal(((byte)255, (byte)255, (byte)255), At(50, 50));
    }

    [Fact]
    public void Bad_sizes_are_one_line_errors()
    {
        Assert.Contains("[2, 2]", Assert.Throws<ArgumentException>(() => Picture.Grid(Tensor.Zeros([2, 2]))).Message);
        Assert.Throws<ArgumentException>(() => Png.Encode(2, 2, 1, new byte[3]));
        Assert.Throws<ArgumentException>(() => Picture.Scatter([float.NaN], [0f], []));
    }
}
