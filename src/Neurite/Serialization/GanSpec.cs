using System.Text.Json;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// The spec's <c>gan</c>: an adversarial pair (Goodfellow et al., 2014) that learns to draw images of the spec's
/// <c>input</c> shape [C, H, W]. <c>{"latent": 100, "classes": 10, "generator": NETWORK, "discriminator": NETWORK}</c>,
/// where a NETWORK is a chain <c>{"layers": […]}</c> or a graph <c>{"nodes": […], "output": NODE}</c> with an optional
/// <c>"optimizer"</c> of its own (default Adam, lr 2·10⁻⁴, betas [0.5, 0.999], as DCGAN's Radford et al. train).
/// </summary>
/// <remarks>
/// <para>The generator takes the latent code z ~ N(0, I) [latent] and gives an image [C, H, W] (a tanh output, the
/// data being scaled to [−1, 1]); the discriminator takes an image and gives one logit [1], "real" being positive.</para>
/// <para>With <c>classes</c> the pair is conditional (Mirza &amp; Osindero, 2014): the class label y joins both inputs
/// as a one-hot vector, concatenated to z for the generator (its input is [latent + classes]) and as <c>classes</c>
/// constant planes concatenated to the image's channels for the discriminator (its input is [C + classes, H, W]).
/// The sides' inputs are thus defined by the GAN, not written in their networks.</para>
/// </remarks>
/// <param name="Latent">The size of the latent code z.</param>
/// <param name="Classes">The number of classes of a conditional GAN, or null.</param>
/// <param name="Generator">The generator: z (⊕ one-hot y) → an image.</param>
/// <param name="Discriminator">The discriminator: an image (⊕ y's planes) → one logit.</param>
public sealed record GanSpec(int Latent, int? Classes, ModelSpec Generator, ModelSpec Discriminator)
{
    /// <summary>The fields of <c>gan</c>.</summary>
    private static readonly string[] Known = ["latent", "classes", "generator", "discriminator"];

    /// <summary>The fields of each side's network.</summary>
    internal static readonly string[] SideFields = ["layers", "nodes", "output", "optimizer"];

    /// <summary>Each side's optimizer when its network names none: Adam with lr 2·10⁻⁴ and β₁ = 0.5 (Radford et al., 2016).</summary>
    public static OptimizerSpec DefaultOptimizer { get; } = new(new AdamOptions(Lr: 2e-4, Beta1: 0.5));

    /// <summary>Whether the class label is an input of both sides.</summary>
    public bool IsConditional => Classes is not null;

    /// <summary>The generator's optimizer: its network's, else <see cref="DefaultOptimizer"/>.</summary>
    public OptimizerSpec GeneratorOptimizer => Generator.Optimizer ?? DefaultOptimizer;

    /// <summary>The discriminator's optimizer: its network's, else <see cref="DefaultOptimizer"/>.</summary>
    public OptimizerSpec DiscriminatorOptimizer => Discriminator.Optimizer ?? DefaultOptimizer;

    /// <summary>The generator's input for one sample: [latent], or [latent + classes] for a conditional GAN.</summary>
    public static int[] GeneratorInput(int latent, int? classes) => [latent + (classes ?? 0)];

    /// <summary>The discriminator's input for one image [C, H, W]: the image, with <paramref name="classes"/> more channels for a conditional GAN.</summary>
    public static int[] DiscriminatorInput(IReadOnlyList<int> image, int? classes) => [image[0] + (classes ?? 0), image[1], image[2]];

    /// <summary>Builds the pair, the generator's weights drawn first.</summary>
    public Gan Build(Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var generator = Generator.Build(rng);
        return new Gan(generator, Discriminator.Build(rng), Latent, Classes);
    }

    internal static GanSpec Parse(SpecReader reader, JsonElement element, string path, int[] image)
    {
        var f = reader.Object(element, path, "a GAN", Known);
        int latent = f.RequiredInt("latent");
        int? classes = f.OptionalInt("classes", 2);
        var generator = ModelSpec.ParseNetwork(reader.Within(f.PathOf("generator")),
            f.Required("generator", "the generator's network: {\"layers\": […]} or {\"nodes\": […]}"), "a generator", SideFields, GeneratorInput(latent, classes));
        var discriminator = ModelSpec.ParseNetwork(reader.Within(f.PathOf("discriminator")),
            f.Required("discriminator", "the discriminator's network: {\"layers\": […]} or {\"nodes\": […]}"), "a discriminator", SideFields, DiscriminatorInput(image, classes));
        var made = generator.OutputShape();
        if (!made.SequenceEqual(image))
        {
            throw reader.Error(f.PathOf("generator"), $"the generator must make images of the spec's input shape {Shapes.Format(image)}, but its output is {Shapes.Format(made)}");
        }
        var judged = discriminator.OutputShape();
        if (judged is not [1])
        {
            throw reader.Error(f.PathOf("discriminator"), $"the discriminator must give one logit per image, [1], but its output is {Shapes.Format(judged)}");
        }
        return new GanSpec(latent, classes, generator, discriminator);
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("gan");
        json.WriteNumber("latent", Latent);
        if (Classes is { } classes)
        {
            json.WriteNumber("classes", classes);
        }
        json.WritePropertyName("generator");
        Generator.WriteNetwork(json);
        json.WritePropertyName("discriminator");
        Discriminator.WriteNetwork(json);
        json.WriteEndObject();
    }
}
