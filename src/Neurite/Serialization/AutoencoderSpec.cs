using System.Text.Json;

namespace Neurite.Serialization;

/// <summary>
/// The spec's <c>autoencoder</c>: <c>{"code": NODE}</c> makes a graph an encoder–decoder pair. The loss compares the
/// output with the input (the model reconstructs it; the data's targets are kept only to label the codes), the nodes up
/// to <paramref name="Code"/> are the encoder and those after it the decoder, so the output must depend on the model
/// input only through the code node. With a <c>gaussian_sample</c> code node the model is a variational autoencoder:
/// its KL term joins the loss, which is then the negative ELBO, and decoding codes drawn from N(0, I) samples images.
/// </summary>
/// <remarks>
/// A graph spec is the place for generative pairs: an autoencoder names its code node here; an adversarial pair (a
/// generator and a discriminator, one optimizer each) is the spec's <c>gan</c> beside it (<see cref="GanSpec"/>).
/// </remarks>
/// <param name="Code">The node whose value is the code: what <c>neurite encode</c> writes and where decoding starts.</param>
public sealed record AutoencoderSpec(string Code)
{
    internal static AutoencoderSpec Parse(SpecReader reader, JsonElement element, string path)
    {
        var f = reader.Object(element, path, "autoencoder", ["code"]);
        return new AutoencoderSpec(reader.String(f.Required("code", "the name of the code node"), f.PathOf("code"), "the name of the code node"));
    }

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("autoencoder");
        json.WriteString("code", Code);
        json.WriteEndObject();
    }
}
