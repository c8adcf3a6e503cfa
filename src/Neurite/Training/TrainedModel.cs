using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.IO;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// A model file written by a <see cref="TrainingRun"/>, read back with what the run saved beside
/// its weights: the input scaling, the feature and class names, the vocabulary, and the objective.
/// </summary>
/// <param name="Loaded">The spec, the network holding the file's weights, and the metadata.</param>
/// <param name="Preprocessor">The scaling fitted on the training data, to apply to new inputs.</param>
/// <param name="FeatureNames">The CSV columns the model reads, in order (null: it records none, e.g. weights trained
/// elsewhere plus a spec, and CSV columns are read by position).</param>
/// <param name="ClassNames">The class of each output (classification).</param>
/// <param name="Objective">The spec's loss, or cross_entropy (with class names) or mse by default.</param>
/// <param name="Vocabulary">The token of each input id, for a model trained on a source with a vocabulary (a text).</param>
public sealed record TrainedModel(
    LoadedModel Loaded, IPreprocessor? Preprocessor, IReadOnlyList<string>? FeatureNames, IReadOnlyList<string>? ClassNames, Objective Objective,
    IReadOnlyList<string>? Vocabulary = null)
{
    /// <summary>
    /// For an ONNX graph whose input has a fixed batch size: that size, the number of rows it must be given at once.
    /// </summary>
    public int? FixedBatch { get; init; }

    /// <summary>
    /// Reads a model file and the metadata <see cref="TrainingRun"/> writes; or imports an ONNX file (<c>.onnx</c>,
    /// <see cref="OnnxFile.Load"/>), whose outputs are taken as they are (mse) and whose inputs are read by position.
    /// </summary>
    /// <exception cref="InvalidDataException">The file or one of its metadata entries is invalid; the message names the file and the key.</exception>
    /// <exception cref="ModelSpecException">The stored spec is invalid.</exception>
    public static TrainedModel Load(string path)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var imported = OnnxFile.Load(path);
            var batch = imported.Spec.Layers is [OnnxSpec onnx] ? onnx.Model.Graph.Inputs[0].Shape![0].Value : null;
            return new TrainedModel(imported, null, null, null, Objective.FromName("mse")) { FixedBatch = (int?)batch };
        }
        var loaded = ModelFile.Load(path);
        var metadata = loaded.Metadata;
        // A string with an escaped lone surrogate (\ud800) throws InvalidOperationException when read.
        T Read<T>(string key, Func<string, T> read) where T : class?
        {
            try
            {
                return metadata.TryGetValue(key, out var json) ? read(json) : null!;
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException($"{path}: {key}: {e.Message.Split('\n')[0].TrimEnd()}");
            }
        }
        var preprocessor = Read<IPreprocessor?>(ModelFile.PreprocessingKey, p => Data.Preprocessor.FromJson(Parse(path, p, ModelFile.PreprocessingKey), $"{path}: {ModelFile.PreprocessingKey}"));
        var features = Read<List<string>?>(ModelFile.FeaturesKey, f => Names(path, f, ModelFile.FeaturesKey));
        var classes = Read<List<string>?>(ModelFile.ClassesKey, c => Names(path, c, ModelFile.ClassesKey));
        var vocabulary = Read<List<string>?>(ModelFile.VocabularyKey, v => Names(path, v, ModelFile.VocabularyKey));
        var objective = loaded.Spec.Loss?.Objective() ?? Objective.FromName(classes is null || loaded.Spec.ReconstructsInput ? "mse" : "cross_entropy");
        return new TrainedModel(loaded, preprocessor, features, classes, objective, vocabulary);
    }

    /// <summary>The number of values in one input sample (the product of the spec's input shape).</summary>
    public long InputWidth => Loaded.Spec.Input.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// The rows of a CSV file as inputs for prediction, scaled as the training data was: the columns the model
    /// records, by name and in its order; for a model that records none, every column but <paramref name="target"/>,
    /// by position, as many as the model takes (<see cref="CsvData.ReadFeatures(string, int, string, int?)"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">A column is missing, the number of columns is wrong, a value is not a number, or the rows are not the fixed batch an ONNX graph takes.</exception>
    public Tensor ReadInputs(string csvPath, string target = "label")
    {
        int? idCount = DataPreparation.IdCount(Loaded.Spec);
        var x = FeatureNames is { } names
            ? CsvData.ReadFeatures(csvPath, names, idCount)
            : CsvData.ReadFeatures(csvPath, (int)InputWidth, target, idCount);
        if (FixedBatch is { } batch && x.Shape[0] != batch)
        {
            throw new InvalidDataException($"{csvPath}: {x.Shape[0]} row{(x.Shape[0] == 1 ? "" : "s")}, but the model's graph takes a batch of exactly {batch}.");
        }
        x = Preprocessor?.Apply(x) ?? x;
        return Loaded.Spec.Data?.Binarize is { } threshold ? DataPreparation.Binarized(x, threshold) : x;
    }

    /// <summary>
    /// A data source's test set (its training data when it has none) as the model was trained on it: the same
    /// class names and CSV feature columns (by name when the model records them, else by position, as
    /// <see cref="ReadInputs"/> reads them), the same scaling.
    /// </summary>
    /// <param name="source">A data source (<see cref="DataSources.Load"/>).</param>
    /// <param name="seed">The seed of a synthetic source (default: the one in the spec).</param>
    /// <param name="target">The CSV target column (default: the spec's data.target, else "label").</param>
    /// <exception cref="InvalidDataException">A file is invalid, or its samples have another number of values than the model takes.</exception>
    public Dataset ReadData(string source, ulong? seed = null, string? target = null)
    {
        var loaded = DataSources.Load(source, new DataSourceOptions
        {
            Seed = seed ?? Loaded.Spec.Seed ?? 0,
            Task = Loaded.Spec.ReconstructsInput ? null : Objective.Task,
            ClassNames = ClassNames,
            FeatureNames = FeatureNames,
            Target = target ?? Loaded.Spec.Data?.Target ?? "label",
            Vocabulary = Vocabulary,
            IdCount = DataPreparation.IdCount(Loaded.Spec),
        });
        var data = loaded.Test ?? loaded.Train;
        long width = data.SampleShape.ToArray().Aggregate(1L, (a, b) => a * b);
        if (width != InputWidth)
        {
            throw new InvalidDataException($"{source}: samples of {width} value{(width == 1 ? "" : "s")}, but the model takes {InputWidth} inputs.");
        }
        data = Preprocessor?.Apply(data) ?? data;
        return Loaded.Spec.Data?.Binarize is { } threshold ? DataPreparation.Binarized(data, threshold) : data;
    }

    /// <summary>
    /// A trainer over the model for evaluation and prediction (it has no optimizer) that reports the spec's metrics;
    /// batches of <paramref name="shapeOf"/>'s samples are reshaped to the spec's input when they differ. An autoencoder's
    /// loss compares the outputs with the inputs, and a VAE's sampling nodes sample in evaluation, so that its loss is
    /// the negative ELBO estimated as in training.
    /// </summary>
    public Trainer Evaluator(Dataset? shapeOf = null)
    {
        foreach (var sampler in Loaded.Module.Modules().OfType<NN.GaussianSample>())
        {
            sampler.SampleInEval = true;
        }
        return new(Loaded.Module, Objective)
        {
            InputShape = shapeOf is null ? Loaded.Spec.Input : DataPreparation.InputShape(Loaded.Spec, shapeOf),
            TargetIsInput = Loaded.Spec.ReconstructsInput,
            Metrics = [.. (Loaded.Spec.Metrics ?? []).Select(MetricNames.Create), .. BoltzmannMetrics.For(Loaded.Module)],
        };
    }

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
            throw new InvalidDataException($"{path}: {key} is not valid JSON: {JsonErrors.Describe(e)}");
        }
    }
}
