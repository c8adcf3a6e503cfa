using Neurite.IO;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>A model read from a Neurite model file: its spec, the network with the file's weights, and the file's metadata.</summary>
/// <param name="Spec">The spec stored under <c>neurite.spec</c>.</param>
/// <param name="Module">The network built from the spec, holding the file's weights and buffers.</param>
/// <param name="Metadata">Every <c>__metadata__</c> entry, the spec and the caller's extra entries included.</param>
public sealed record LoadedModel(ModelSpec Spec, Module Module, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Neurite model files: one safetensors file holding a module's state dict under PyTorch's names
/// (<c>0.weight</c>, <c>1.running_mean</c>, …, buffers included) with the model spec in
/// <c>__metadata__</c> under <c>neurite.spec</c> and <c>"format": "pt"</c> as PyTorch's safetensors
/// files have, so that PyTorch loads the weights too; plus any entries the caller adds (such as
/// <c>neurite.preprocessing</c>, <c>neurite.classes</c> or <c>neurite.vocabulary</c>, JSON strings).
/// </summary>
public static class ModelFile
{
    /// <summary>The metadata key of the spec JSON.</summary>
    public const string SpecKey = "neurite.spec";

    /// <summary>The metadata key that PyTorch's safetensors files carry ("pt").</summary>
    public const string FormatKey = "format";

    /// <summary>The metadata key of the fitted input scaling (<see cref="Data.IPreprocessor"/>'s JSON).</summary>
    public const string PreprocessingKey = "neurite.preprocessing";

    /// <summary>The metadata key of the input feature names (a JSON array of strings), the CSV columns a model reads.</summary>
    public const string FeaturesKey = "neurite.features";

    /// <summary>The metadata key of the class names (a JSON array of strings), in the order of the outputs.</summary>
    public const string ClassesKey = "neurite.classes";

    /// <summary>
    /// The metadata key of the vocabulary (a JSON array of strings): the token each input id stands for, by id; for a
    /// character-level text, its characters sorted by code point.
    /// </summary>
    public const string VocabularyKey = "neurite.vocabulary";

    /// <summary>
    /// Writes <paramref name="module"/>'s state dict alone, under PyTorch's names, as a plain
    /// safetensors file (atomically) that <see cref="LoadWeights"/> and PyTorch's
    /// <c>safetensors.torch.load_file</c> read back: how a model built in code is saved.
    /// </summary>
    public static void SaveWeights(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        SafeTensors.Save(path, module.StateDict(), new Dictionary<string, string> { [FormatKey] = "pt" });
    }

    /// <summary>
    /// Writes <paramref name="module"/>'s state dict, <paramref name="spec"/> and
    /// <paramref name="extraMetadata"/> to <paramref name="path"/> atomically (an existing file is
    /// replaced only once the new one is complete).
    /// </summary>
    /// <exception cref="ArgumentException">An extra metadata key is one this file writes itself.</exception>
    public static void Save(string path, Module module, ModelSpec spec, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(spec);
        SafeTensors.Save(path, module.StateDict(), Metadata(spec, extraMetadata));
    }

    /// <summary>The bytes <see cref="Save"/> writes, for a caller that sends the model elsewhere (the Playground's download).</summary>
    public static byte[] Serialize(Module module, ModelSpec spec, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(spec);
        return SafeTensors.Serialize(module.StateDict(), Metadata(spec, extraMetadata));
    }

    internal static Dictionary<string, string> Metadata(ModelSpec spec, IReadOnlyDictionary<string, string>? extraMetadata)
    {
        var metadata = new Dictionary<string, string> { [FormatKey] = "pt", [SpecKey] = spec.ToJson(indented: false) };
        foreach (var (key, value) in extraMetadata ?? new Dictionary<string, string>())
        {
            if (!metadata.TryAdd(key, value))
            {
                throw new ArgumentException($"ModelFile: the metadata key \"{key}\" is written by Neurite itself and cannot be given.", nameof(extraMetadata));
            }
        }
        return metadata;
    }

    /// <summary>Reads a model file: parses its spec, builds the network and loads the weights.</summary>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, has no spec, or its weights do not fit the spec.</exception>
    /// <exception cref="ModelSpecException">The stored spec is invalid (the message names the file and the metadata key).</exception>
    public static LoadedModel Load(string path)
    {
        var file = SafeTensors.Load(path);
        var spec = ReadSpec(file, path);
        CheckHolds(spec, file.Tensors, path);
        var module = spec.Build();
        LoadState(module, file.Tensors, path);
        return new LoadedModel(spec, module, file.Metadata);
    }

    /// <summary>
    /// Refuses weights that cannot hold the spec's parameters before the network is built, when the network is large:
    /// a small file whose spec describes a huge network would otherwise allocate that network first, only to find the
    /// weights missing.
    /// </summary>
    /// <exception cref="InvalidDataException">The tensors hold fewer values than the spec has parameters.</exception>
    internal static void CheckHolds(ModelSpec spec, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long parameters = spec.MinimumParameters();
        long values = tensors.Values.Sum(tensor => (long)tensor.Count);
        // Small mismatches are left to the listing of missing and mis-shaped weights, which says more.
        if (parameters > values && parameters > 1 << 20)
        {
            throw new InvalidDataException($"{source}: the weights do not fit the model: its spec has at least {parameters} parameters, but the file holds {values} values.");
        }
    }

    /// <summary>The spec of a model file, read from its header alone (no weights are read or built), e.g. for a summary.</summary>
    /// <exception cref="InvalidDataException">The file is not valid safetensors or has no spec.</exception>
    /// <exception cref="ModelSpecException">The stored spec is invalid.</exception>
    public static ModelSpec LoadSpec(string path) => ReadSpec(SafeTensors.LoadMetadata(path), path);

    internal static ModelSpec ReadSpec(SafeTensorsFile file, string path) => ReadSpec(file.Metadata, path);

    private static ModelSpec ReadSpec(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(SpecKey, out var json))
        {
            throw new InvalidDataException(
                $"{path}: no \"{SpecKey}\" in __metadata__, so this is not a Neurite model file; plain weights load into a model built from a spec (--init).");
        }
        return ModelSpec.Parse(json, $"{path}: __metadata__.{SpecKey}");
    }

    /// <summary>
    /// Loads the tensors of a plain safetensors file (for example one PyTorch wrote) into
    /// <paramref name="module"/>, in place. The names must match the module's state dict exactly
    /// and the shapes too; otherwise nothing is loaded and the message lists every missing,
    /// unexpected and mis-shaped entry.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is invalid or its tensors do not fit the module.</exception>
    public static void LoadWeights(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        LoadState(module, SafeTensors.Load(path).Tensors, path);
    }

    /// <summary>Copies <paramref name="state"/> into the module after checking every name and shape; errors name <paramref name="source"/>.</summary>
    internal static void LoadState(Module module, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var own = module.StateDict();
        var missing = own.Keys.Where(name => !state.ContainsKey(name)).ToList();
        var unexpected = state.Keys.Where(name => !own.ContainsKey(name)).ToList();
        var misShaped = own
            .Where(entry => state.TryGetValue(entry.Key, out var value) && !Shapes.SameShape(value.Shape, entry.Value.Shape))
            .Select(entry => $"{entry.Key} (file {Shapes.Format(state[entry.Key].Shape)}, model {Shapes.Format(entry.Value.Shape)})")
            .ToList();
        var problems = new List<string>();
        if (missing.Count > 0)
        {
            problems.Add("missing " + string.Join(", ", missing));
        }
        if (unexpected.Count > 0)
        {
            problems.Add("unexpected " + string.Join(", ", unexpected));
        }
        if (misShaped.Count > 0)
        {
            problems.Add("mis-shaped " + string.Join(", ", misShaped));
        }
        if (problems.Count > 0)
        {
            throw new InvalidDataException(OneLine.Escape($"{source}: the weights do not fit the model: {string.Join("; ", problems)}."));
        }
        module.LoadStateDict(state);
    }
}
