using System.Text.Json;

namespace Neurite.Serialization;

/// <summary>A named input of a graph spec and the shape of one of its samples (without the batch axis).</summary>
public sealed record GraphInput(string Name, IReadOnlyList<int> Shape)
{
    public bool Equals(GraphInput? other) => other is not null && Name == other.Name && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
}

/// <summary>A node of a graph spec: a layer under a name, applied to named model inputs or earlier nodes.</summary>
/// <param name="Name">The node's name, its state-dict prefix ("h" gives "h.weight"); no dots.</param>
/// <param name="Layer">The layer the node applies.</param>
/// <param name="Inputs">The model inputs and earlier nodes it takes; null: the previous node (the model input for the first node).</param>
public sealed record NodeSpec(string Name, LayerSpec Layer, IReadOnlyList<string>? Inputs = null)
{
    public bool Equals(NodeSpec? other) =>
        other is not null && Name == other.Name && Layer.Equals(other.Layer)
        && (Inputs is null ? other.Inputs is null : other.Inputs is not null && Inputs.SequenceEqual(other.Inputs));

    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// A model as a graph of named nodes (the spec's <c>nodes</c>): each node names its inputs, so a
/// spec can concatenate, add, skip and take several inputs; see <see cref="ModelSpec"/> for the JSON.
/// </summary>
/// <param name="Inputs">The model inputs, in the order the built module takes them.</param>
/// <param name="Nodes">The nodes, each taking only model inputs and earlier nodes (so there are no cycles).</param>
/// <param name="Output">The node whose value is the model's output.</param>
public sealed record GraphSpec(IReadOnlyList<GraphInput> Inputs, IReadOnlyList<NodeSpec> Nodes, string Output)
{
    /// <summary>A graph with one input named "input".</summary>
    public GraphSpec(IReadOnlyList<int> input, IReadOnlyList<NodeSpec> nodes, string output)
        : this([new GraphInput("input", input)], nodes, output)
    {
    }

    /// <summary>The name of the one input of a graph that does not name its inputs.</summary>
    public const string DefaultInput = "input";

    public bool Equals(GraphSpec? other) =>
        other is not null && Output == other.Output && Inputs.SequenceEqual(other.Inputs) && Nodes.SequenceEqual(other.Nodes);

    public override int GetHashCode() => Output.GetHashCode(StringComparison.Ordinal);

    internal static GraphSpec Parse(SpecReader reader, SpecReader.Fields f, IReadOnlyList<GraphInput> inputs)
    {
        var element = f.Required("nodes", "a non-empty list of nodes");
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw reader.Error("nodes", $"expected a non-empty list of nodes, got {SpecReader.Show(element)}");
        }
        var nodes = new List<NodeSpec>();
        foreach (var node in element.EnumerateArray())
        {
            string path = $"nodes[{nodes.Count}]";
            var layer = LayerRegistry.Parse(reader, node, path, LayerRegistry.NodeFields);
            string name = reader.String(
                node.TryGetProperty("name", out var nameElement) ? nameElement : throw reader.Error(SpecReader.Child(path, "name"), "missing; expected the node's name, e.g. \"h\""),
                SpecReader.Child(path, "name"), "the node's name, a non-empty string");
            IReadOnlyList<string>? from = null;
            if (node.TryGetProperty("inputs", out var inputsElement))
            {
                string inputsPath = SpecReader.Child(path, "inputs");
                if (inputsElement.ValueKind != JsonValueKind.Array || inputsElement.GetArrayLength() == 0)
                {
                    throw reader.Error(inputsPath, $"expected a non-empty list of input and node names, got {SpecReader.Show(inputsElement)}");
                }
                from = [.. inputsElement.EnumerateArray().Select((input, i) => reader.String(input, $"{inputsPath}[{i}]", "an input or node name"))];
            }
            nodes.Add(new NodeSpec(name, layer, from));
        }
        string output = f.OptionalString("output", "the name of the output node") ?? nodes[^1].Name;
        return new GraphSpec(inputs, nodes, output);
    }

    internal void Write(Utf8JsonWriter json)
    {
        if (Inputs is [{ Name: DefaultInput } single])
        {
            WriteShape(json, "input", single.Shape);
        }
        else
        {
            json.WriteStartObject("inputs");
            foreach (var input in Inputs)
            {
                WriteShape(json, input.Name, input.Shape);
            }
            json.WriteEndObject();
        }
        WriteNodes(json);
    }

    /// <summary>Writes the nodes and the output node, without the inputs (a GAN's sides, whose inputs the GAN defines).</summary>
    internal void WriteNodes(Utf8JsonWriter json)
    {
        json.WriteStartArray("nodes");
        foreach (var node in Nodes)
        {
            node.Layer.Write(json, node.Name, node.Inputs);
        }
        json.WriteEndArray();
        json.WriteString("output", Output);
    }

    internal static void WriteShape(Utf8JsonWriter json, string property, IReadOnlyList<int> shape)
    {
        json.WriteStartArray(property);
        foreach (int size in shape)
        {
            json.WriteNumberValue(size);
        }
        json.WriteEndArray();
    }
}
