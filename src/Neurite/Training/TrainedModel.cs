using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Serialization;

namespace Neurite.Training;

/// <summary>
/// A model file written by a <see cref="TrainingRun"/>, read back with what the run saved beside
/// its weights: the input scaling, the feature and class names, the vocabulary, and the objective.
/// </summary>
/// <param name="Loaded">The spec, the network holding the file's weights, and the metadata.</param>
/// <param name="Preprocessor">The scaling fitted on the training data, to apply to new inputs.</param>
/// <param name="FeatureNames">The CSV columns the model reads, in order (null: x1, x2, …).</param>
/// <param name="ClassNames">The class of each output (classification).</param>
/// <param name="Objective">The spec's loss, or cross_entropy (with class names) or mse by default.</param>
/// <param name="Vocabulary">The token of each input id, for a model trained on a source with a vocabulary (a text).</param>
public sealed record TrainedModel(
    LoadedModel Loaded, IPreprocessor? Preprocessor, IReadOnlyList<string>? FeatureNames, IReadOnlyList<string>? ClassNames, Objective Objective,
    IReadOnlyList<string>? Vocabulary = null)
{
    /// <summary>Reads a model file and the metadata <see cref="TrainingRun"/> writes.</summary>
    /// <exception cref="InvalidDataException">The file or one of its metadata entries is invalid; the message names the file and the key.</exception>
    /// <exception cref="ModelSpecException">The stored spec is invalid.</exception>
    public static TrainedModel Load(string path)
    {
        var loaded = ModelFile.Load(path);
        var metadata = loaded.Metadata;
        var preprocessor = metadata.TryGetValue(ModelFile.PreprocessingKey, out var p)
            ? Data.Preprocessor.FromJson(Parse(path, p, ModelFile.PreprocessingKey), $"{path}: {ModelFile.PreprocessingKey}")
            : null;
        var features = metadata.TryGetValue(ModelFile.FeaturesKey, out var f) ? Names(path, f, ModelFile.FeaturesKey) : null;
        var classes = metadata.TryGetValue(ModelFile.ClassesKey, out var c) ? Names(path, c, ModelFile.ClassesKey) : null;
        var vocabulary = metadata.TryGetValue(ModelFile.VocabularyKey, out var v) ? Names(path, v, ModelFile.VocabularyKey) : null;
        var objective = loaded.Spec.Loss?.Objective() ?? Objective.FromName(classes is null ? "mse" : "cross_entropy");
        return new TrainedModel(loaded, preprocessor, features, classes, objective, vocabulary);
    }

    /// <summary>
    /// A trainer over the model for evaluation and prediction (it has no optimizer) that reports the spec's metrics;
    /// batches of <paramref name="shapeOf"/>'s samples are reshaped to the spec's input when they differ.
    /// </summary>
    public Trainer Evaluator(Dataset? shapeOf = null) =>
        new(Loaded.Module, Objective)
        {
            InputShape = shapeOf is null ? Loaded.Spec.Input : DataPreparation.InputShape(Loaded.Spec, shapeOf),
            Metrics = [.. (Loaded.Spec.Metrics ?? []).Select(MetricNames.Create)],
        };

    private static List<string> Names(string path, string json, string key) =>
        [.. Parse(path, json, key) is JsonArray names
            ? names.Select(name => name is JsonValue value && value.TryGetValue(out string? text) ? text : throw new InvalidDataException($"{path}: {key}: expected a list of names, found {name?.ToJsonString() ?? "null"}"))
            : throw new InvalidDataException($"{path}: {key}: expected a JSON list of names")];

    private static JsonNode Parse(string path, string json, string key)
    {
        try
        {
            return JsonNode.Parse(json) ?? throw new InvalidDataException($"{path}: {key} is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {key} is not valid JSON: {e.Message}");
        }
    }
}
