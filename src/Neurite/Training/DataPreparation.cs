using Neurite.Data;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>The data a training run uses, after the split and the scaling the spec asks for.</summary>
/// <param name="Train">The training samples.</param>
/// <param name="Validation">Held out from the training source by <c>data.validation_split</c>.</param>
/// <param name="Test">The source's own test set, or held out by <c>data.test_split</c>.</param>
/// <param name="Preprocessor">The scaling fitted on the training samples, saved with the model.</param>
public sealed record PreparedData(Dataset Train, Dataset? Validation, Dataset? Test, IPreprocessor? Preprocessor)
{
    /// <summary>What early stopping and the curves watch: validation data, else test data.</summary>
    public Dataset? HeldOut => Validation ?? Test;
}

/// <summary>Loads a data source as a spec and the command line describe it, and checks it against the model.</summary>
public static class DataPreparation
{
    public static PreparedData ForTraining(ModelSpec spec, string source, ulong seed, TaskKind? task)
    {
        var options = spec.Data;
        var loaded = DataSources.Load(source, new DataSourceOptions
        {
            Seed = seed,
            Count = options?.Samples,
            Noise = options?.Noise is { } noise ? (float)noise : null,
            Target = options?.Target ?? "label",
            Task = task,
            IdCount = IdCount(spec),
        });
        var train = loaded.Train;
        var test = loaded.Test;
        if (train.Vocabulary is { } vocabulary && IdCount(spec) is { } ids && ids < vocabulary.Count)
        {
            throw new ArgumentException(
                $"layers[0].num: the data's ids are those of a vocabulary of {vocabulary.Count}, but the embedding has {ids} rows (write \"vocab\" for the vocabulary size)");
        }
        if (options?.TestSplit is { } testFraction)
        {
            (train, var heldOut) = train.Split(testFraction, seed + 1);
            test ??= heldOut;
        }
        Dataset? validation = null;
        if (options?.ValidationSplit is { } validationFraction)
        {
            (train, validation) = train.Split(validationFraction, seed + 2);
        }
        IPreprocessor? preprocessor = options?.Scale switch
        {
            null => null,
            "standardize" => Standardize.Fit(train),
            "minmax_global" => MinMaxScale.Fit(train, perFeature: false),
            _ => MinMaxScale.Fit(train),
        };
        if (preprocessor is not null)
        {
            train = preprocessor.Apply(train);
            validation = validation is null ? null : preprocessor.Apply(validation);
            test = test is null ? null : preprocessor.Apply(test);
        }
        if (options?.Binarize is { } threshold)
        {
            (train, validation, test) = (Binarized(train, threshold), validation is null ? null : Binarized(validation, threshold), test is null ? null : Binarized(test, threshold));
        }
        if (TakesInputShape(spec, train))
        {
            train = train.Reshape([.. spec.Input]);
            validation = validation?.Reshape([.. spec.Input]);
            test = test?.Reshape([.. spec.Input]);
        }
        return new PreparedData(train, validation, test, preprocessor);
    }

    /// <summary>The data with every feature 1 where it is above <paramref name="threshold"/>, else 0 (the spec's <c>data.binarize</c>).</summary>
    public static Dataset Binarized(Dataset data, double threshold)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.WithData(Binarized(data.Features, threshold), data.Targets);
    }

    /// <summary>A copy of <paramref name="features"/> with 1 where a value is above <paramref name="threshold"/>, else 0.</summary>
    public static Tensor Binarized(Tensor features, double threshold)
    {
        ArgumentNullException.ThrowIfNull(features);
        var binary = features.Clone();
        var values = binary.Data;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = values[i] > threshold ? 1f : 0f;
        }
        return binary;
    }

    /// <summary>The number of ids the model's input takes when its first layer is an embedding (its num), else null.</summary>
    public static int? IdCount(ModelSpec spec) =>
        spec.Graph is null && spec.Layers.Count > 0 && spec.Layers[0] is EmbeddingSpec embedding ? embedding.Num : null;

    /// <summary>
    /// Whether flat samples (a CSV row) take the spec's input shape as they are read, e.g. 64 columns as [1, 8, 8] in
    /// row-major order, so that the loader's image augmentation sees images. Samples with a shape of their own (IDX
    /// images [1, 28, 28]) keep it, and a model that takes another shape with as many values (an MLP's [784]) gets
    /// each batch reshaped (<see cref="InputShape"/>).
    /// </summary>
    private static bool TakesInputShape(ModelSpec spec, Dataset data) =>
        data.SampleShape.Length == 1 && spec.Input.Count > 1 && spec.Input.Aggregate(1L, (a, b) => a * b) == data.FeatureCount;

    /// <summary>
    /// The sample shape to reshape batches to when the spec's input differs from the data's samples
    /// but holds as many values ([784] against [1, 28, 28]); null when they agree.
    /// </summary>
    public static IReadOnlyList<int>? InputShape(ModelSpec spec, Dataset data)
    {
        if (spec.Graph is { Inputs.Count: > 1 } graph)
        {
            throw new ArgumentException(
                $"inputs: training feeds one input per sample, but the graph takes {graph.Inputs.Count} ({string.Join(", ", graph.Inputs.Select(input => input.Name))})");
        }
        var sample = data.SampleShape.ToArray();
        if (sample.SequenceEqual(spec.Input))
        {
            return null;
        }
        if (sample.Aggregate(1L, (a, b) => a * b) != spec.Input.Aggregate(1L, (a, b) => a * b))
        {
            throw new ArgumentException(
                $"input: the spec takes samples of shape {Shapes.Format([.. spec.Input])}, but the data's samples are {Shapes.Format(sample)}");
        }
        return spec.Input;
    }

    /// <summary>Checks that the network's last layer has one output per class (or one for a binary loss) or per target column.</summary>
    public static void CheckOutputs(ModelSpec spec, Dataset data, Objective objective)
    {
        if (data.Task != objective.Task)
        {
            throw new ArgumentException(
                $"loss: {objective.Name} is for {Describe(objective.Task)}, but the data is a {Describe(data.Task)} set");
        }
        var last = spec.OutputShape();
        int outputs = last.Length == 0 ? 1 : last[^1];
        string where = spec.Graph is { } graph ? OutputNode(graph) : $"layers[{LastLinear(spec)}].out";
        if (data.Task == TaskKind.Classification)
        {
            bool binary = objective.Name is "bce" or "bce_with_logits";
            int expected = binary ? 1 : data.ClassCount;
            if (outputs != expected)
            {
                throw new ArgumentException(binary
                    ? $"{where}: a {objective.Name} loss needs 1 output, but the network has {outputs}"
                    : $"{where}: the data has {data.ClassCount} classes, but the network has {outputs} outputs");
            }
            if (binary && data.ClassCount > 2)
            {
                throw new ArgumentException($"loss: {objective.Name} is for two classes, but the data has {data.ClassCount}; use cross_entropy");
            }
            CheckSteps(spec, data, objective, last);
        }
        else if (outputs != data.TargetWidth)
        {
            throw new ArgumentException($"{where}: the data has {data.TargetWidth} target column(s), but the network has {outputs} outputs");
        }
    }

    /// <summary>Targets with one class per step ([N, T]) need outputs [T, classes] per sample, and one class per sample needs one row of outputs.</summary>
    private static void CheckSteps(ModelSpec spec, Dataset data, Objective objective, int[] output)
    {
        string shape = Shapes.Format(output);
        string at = spec.Graph is { } graph ? OutputNode(graph) : $"layers[{spec.Layers.Count - 1}]";
        if (data.Targets.Rank == 2)
        {
            int steps = data.Targets.Shape[1];
            if (objective.Name is not ("cross_entropy" or "nll"))
            {
                throw new ArgumentException($"loss: the data has one class per step ({steps} steps); {objective.Name} takes one per sample, use cross_entropy or nll");
            }
            if (output.Length != 2 || output[0] != steps)
            {
                throw new ArgumentException(
                    $"{at}: the data has one class per step of {steps} steps, so the network must output [{steps}, {data.ClassCount}] per sample; it outputs {shape}");
            }
        }
        else if (output.Length > 1)
        {
            throw new ArgumentException(
                $"{at}: the data has one class per sample, but the network outputs {shape} per sample; end a sequence model with mean_pool, last_step or return_sequences false");
        }
    }

    private static string Describe(TaskKind task) => task == TaskKind.Classification ? "classification" : "regression";

    private static string OutputNode(GraphSpec graph)
    {
        int index = graph.Nodes.ToList().FindIndex(node => node.Name == graph.Output);
        return $"nodes[{index}]" + (graph.Nodes[index].Layer.Type == "linear" ? ".out" : "");
    }

    private static int LastLinear(ModelSpec spec)
    {
        for (int i = spec.Layers.Count - 1; i >= 0; i--)
        {
            if (spec.Layers[i].Type == "linear")
            {
                return i;
            }
        }
        return spec.Layers.Count - 1;
    }
}
