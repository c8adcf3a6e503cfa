using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A generative adversarial pair (Goodfellow et al., 2014), as a spec's <c>gan</c> builds it: the
/// <see cref="Generator"/> maps a latent code z to an image, the <see cref="Discriminator"/> maps an image to one logit
/// (positive: real). Its children are "generator" and "discriminator", so the state dict names their weights
/// <c>generator.0.weight</c>, <c>discriminator.0.weight</c>, ….
/// </summary>
/// <remarks>
/// A conditional pair (Mirza &amp; Osindero, 2014; <see cref="Classes"/> set) takes the class label y as a one-hot
/// vector: concatenated to z for the generator, and as <see cref="Classes"/> constant planes concatenated to the
/// image's channels for the discriminator (<see cref="GeneratorInput"/>, <see cref="DiscriminatorInput"/>).
/// </remarks>
public sealed class Gan : Module
{
    /// <param name="generator">z [B, latent] (⊕ one-hot y) → images [B, C, H, W].</param>
    /// <param name="discriminator">images [B, C, H, W] (⊕ y's planes) → logits [B, 1].</param>
    /// <param name="latent">The size of z.</param>
    /// <param name="classes">The number of classes of a conditional pair, or null.</param>
    public Gan(Module generator, Module discriminator, int latent, int? classes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latent, 1);
        if (classes is < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "Gan: a conditional pair needs at least 2 classes.");
        }
        Generator = RegisterModule("generator", generator ?? throw new ArgumentNullException(nameof(generator)));
        Discriminator = RegisterModule("discriminator", discriminator ?? throw new ArgumentNullException(nameof(discriminator)));
        (Latent, Classes) = (latent, classes);
    }

    public Module Generator { get; }

    public Module Discriminator { get; }

    /// <summary>The size of the latent code z.</summary>
    public int Latent { get; }

    /// <summary>The number of classes of a conditional pair, or null.</summary>
    public int? Classes { get; }

    /// <summary>The generator's images for codes <paramref name="x"/> [B, latent] (an unconditional pair).</summary>
    /// <exception cref="InvalidOperationException">The pair is conditional: call <see cref="Generate"/> with labels.</exception>
    public override Tensor Forward(Tensor x) => Classes is null
        ? Generator.Call(x)
        : throw new InvalidOperationException("Gan: a conditional pair generates from codes and labels: call Generate(z, labels).");

    /// <summary>G(z, y): the images [B, C, H, W] of codes <paramref name="z"/> [B, latent] (and, for a conditional pair, labels).</summary>
    public Tensor Generate(Tensor z, IReadOnlyList<int>? labels = null) => Generator.Call(GeneratorInput(z, labels));

    /// <summary>D(x, y): the logits [B, 1] of images <paramref name="images"/> [B, C, H, W] (and, for a conditional pair, labels).</summary>
    public Tensor Discriminate(Tensor images, IReadOnlyList<int>? labels = null) => Discriminator.Call(DiscriminatorInput(images, labels));

    /// <summary>The generator's input: z [B, latent], with the labels' one-hot vectors concatenated for a conditional pair [B, latent + classes].</summary>
    /// <exception cref="ArgumentException">Labels are missing, out of range or not one per row, or given to an unconditional pair.</exception>
    public Tensor GeneratorInput(Tensor z, IReadOnlyList<int>? labels)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.Rank != 2 || z.Shape[1] != Latent)
        {
            throw new ArgumentException($"Gan: expected codes [B, {Latent}], got {Shapes.Format(z.Shape)}.", nameof(z));
        }
        return Classes is not { } classes ? NoLabels(z, labels) : Ops.Concat([z, OneHot(labels, z.Shape[0], classes, 1, 1)], 1);
    }

    /// <summary>The discriminator's input: images [B, C, H, W], with each label's one-hot planes concatenated as channels for a conditional pair [B, C + classes, H, W].</summary>
    /// <exception cref="ArgumentException">Labels are missing, out of range or not one per image, or given to an unconditional pair.</exception>
    public Tensor DiscriminatorInput(Tensor images, IReadOnlyList<int>? labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
        {
            throw new ArgumentException($"Gan: expected images [B, C, H, W], got {Shapes.Format(images.Shape)}.", nameof(images));
        }
        return Classes is not { } classes
            ? NoLabels(images, labels)
            : Ops.Concat([images, OneHot(labels, images.Shape[0], classes, images.Shape[2], images.Shape[3])], 1);
    }

    public override string Describe() => $"Gan(latent={Latent}{(Classes is { } c ? $", classes={c}" : "")})";

    private static Tensor NoLabels(Tensor x, IReadOnlyList<int>? labels) =>
        labels is null ? x : throw new ArgumentException("Gan: an unconditional pair takes no labels.", nameof(labels));

    /// <summary>[B, classes, height, width]: plane y[b] of row b is ones, the others zeros (a one-hot vector when height = width = 1, seen as [B, classes] after the reshape).</summary>
    private static Tensor OneHot(IReadOnlyList<int>? labels, int batch, int classes, int height, int width)
    {
        if (labels is null || labels.Count != batch)
        {
            throw new ArgumentException($"Gan: a conditional pair needs one label per sample ({batch}), got {labels?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.", nameof(labels));
        }
        int plane = height * width;
        var values = new float[batch * classes * plane];
        for (int b = 0; b < batch; b++)
        {
            int y = labels[b];
            if (y < 0 || y >= classes)
            {
                throw new ArgumentException($"Gan: label {y} of sample {b} is not a class 0 … {classes - 1}.", nameof(labels));
            }
            values.AsSpan((b * classes + y) * plane, plane).Fill(1f);
        }
        return plane == 1 ? Tensor.From(values, [batch, classes]) : Tensor.From(values, [batch, classes, height, width]);
    }
}
