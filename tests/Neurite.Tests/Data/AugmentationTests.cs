using Neurite.Data;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>The image augmentation as torchvision's RandomCrop(size, padding) and RandomHorizontalFlip, draw by draw.</summary>
public class AugmentationTests
{
    /// <summary>torchvision's way: pad each channel by p zeros on every side, cut the H×W window at (i, j), mirror it if asked.</summary>
    private static float[] PadCropFlip(float[] sample, int channels, int height, int width, int p, int i, int j, bool flip)
    {
        var output = new float[sample.Length];
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    // Padded pixel (y + i, x + j) is original (y + i − p, x + j − p), zero outside.
                    int sy = y + i - p, sx = x + j - p;
                    float value = sy is >= 0 && sy < height && sx >= 0 && sx < width ? sample[(c * height + sy) * width + sx] : 0f;
                    output[(c * height + y) * width + (flip ? width - 1 - x : x)] = value;
                }
            }
        }
        return output;
    }

    [Fact]
    public void Crop_with_padding_and_flip_are_torchvisions_with_the_documented_draws()
    {
        const int batch = 3, channels = 2, height = 3, width = 4, padding = 2;
        var offsets = new HashSet<(int, int)>();
        int flips = 0;
        for (ulong seed = 0; seed < 40; seed++)
        {
            var images = Tensor.Arange(1, 1 + batch * channels * height * width).Reshape([batch, channels, height, width]);
            var original = images.ToArray();
            new Augmentation { MaxShift = padding, FlipProbability = 0.5f }.Apply(images, new Generator(seed));

            // The same generator, drawn as documented: per sample dy, dx, then the flip's uniform.
            var rng = new Generator(seed);
            int size = channels * height * width;
            for (int b = 0; b < batch; b++)
            {
                int dy = rng.NextInt(2 * padding + 1) - padding, dx = rng.NextInt(2 * padding + 1) - padding;
                bool flip = rng.NextFloat() < 0.5f;
                // A shift by (dy, dx) is the crop at (i, j) = (p − dy, p − dx) of the padded image.
                var expected = PadCropFlip(original[(b * size)..((b + 1) * size)], channels, height, width, padding, padding - dy, padding - dx, flip);
                Assert.Equal(expected, images.Data.Slice(b * size, size).ToArray());
                offsets.Add((dy, dx));
                flips += flip ? 1 : 0;
            }
        }
        // 120 samples: every one of the 25 crops and both flip outcomes were seen.
        Assert.Equal(25, offsets.Count);
        Assert.InRange(flips, 1, 119);
    }

    [Fact]
    public void The_spec_takes_the_padding_as_crop_or_shift()
    {
        var spec = ModelSpec.Parse("""{"input": [1, 4, 4], "layers": [{"type": "flatten"}], "data": {"source": "xor", "augment": {"crop": 4, "flip": true}}}""");
        Assert.Equal(new AugmentSpec(4, true, 0), spec.Data!.Augment);
        Assert.Contains("\"augment\": {\n      \"shift\": 4,", spec.ToJson().Replace("\r", ""));
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
    }
}
