using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.IO;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Serialization;

/// <summary>
/// A training checkpoint: one safetensors file holding the model's state dict under
/// <c>model.NAME</c>, the optimizer's buffers under <c>optimizer.INDEX.BUFFER</c> (INDEX counting the
/// parameters through the groups; each buffer flat, as long as its parameter), and in
/// <c>__metadata__</c>: <c>neurite.spec</c> (when the model came from a spec; a model built in code
/// has none), <c>neurite.optimizer</c> (the groups' options by PyTorch's
/// names and each parameter's step count: <c>{"groups": [{"type": "adam", "lr": …}, …], "state":
/// {"0": {"step": 3}, …}}</c>) and <c>neurite.training</c> (the caller's JSON object: epoch, schedule
/// state, best metric, …). Restoring it into a freshly built model and optimizer makes the next
/// steps bit-identical to those of the run that saved it.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The metadata key of the optimizer's options and step counts.</summary>
    public const string OptimizerKey = "neurite.optimizer";

    /// <summary>The metadata key of the caller's training state.</summary>
    public const string TrainingKey = "neurite.training";

    private const string ModelPrefix = "model.", OptimizerPrefix = "optimizer.";

    private readonly string _source;

    private Checkpoint(string source, ModelSpec? spec, Dictionary<string, Tensor> modelState, OptimizerState optimizerState, JsonObject training)
    {
        _source = source;
        Spec = spec;
        ModelState = modelState;
        OptimizerState = optimizerState;
        Training = training;
    }

    /// <summary>The model spec, or null for a model built in code.</summary>
    public ModelSpec? Spec { get; }

    /// <summary>The model's state dict, under the module's own names (without "model.").</summary>
    public IReadOnlyDictionary<string, Tensor> ModelState { get; }

    /// <summary>The optimizer's state, for <see cref="Optimizer.LoadStateDict"/>.</summary>
    public OptimizerState OptimizerState { get; }

    /// <summary>The caller's training state as saved (an empty object if none was given).</summary>
    public JsonObject Training { get; }

    /// <summary>
    /// Writes a checkpoint of <paramref name="trainer"/> to <paramref name="path"/> atomically: its
    /// model, its optimizer and <see cref="Trainer.SaveState"/>; <paramref name="spec"/> when the model came from one.
    /// </summary>
    /// <exception cref="ArgumentException">The trainer has no optimizer.</exception>
    public static void Save(string path, Trainer trainer, ModelSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var optimizer = trainer.Optimizer ?? throw new ArgumentException("Checkpoint: the trainer has no optimizer, so there is no run to checkpoint.", nameof(trainer));
        Save(path, spec, trainer.Model, optimizer, trainer.SaveState());
    }

    /// <summary>Writes a checkpoint to <paramref name="path"/> atomically; <paramref name="spec"/> may be null for a model built in code.</summary>
    public static void Save(string path, ModelSpec? spec, Module model, Optimizer optimizer, JsonObject? training = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var state = optimizer.StateDict();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        tensors.AddRange(model.StateDict().Select(entry => new KeyValuePair<string, Tensor>(ModelPrefix + entry.Key, entry.Value)));
        foreach (var (index, parameter) in state.Parameters)
        {
            foreach (var (name, buffer) in parameter.Buffers)
            {
                tensors.Add(new($"{OptimizerPrefix}{index.ToString(CultureInfo.InvariantCulture)}.{name}", Tensor.From(buffer)));
            }
        }
        var metadata = new Dictionary<string, string>
        {
            [OptimizerKey] = OptimizerJson(state),
            [TrainingKey] = (training ?? []).ToJsonString(),
        };
        if (spec is not null)
        {
            metadata[ModelFile.SpecKey] = spec.ToJson(indented: false);
        }
        SafeTensors.Save(path, tensors, metadata);
    }

    private static string OptimizerJson(OptimizerState state)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("groups");
            foreach (var options in state.Groups)
            {
                new OptimizerSpec(options).Write(json);
            }
            json.WriteEndArray();
            json.WriteStartObject("state");
            foreach (var (index, parameter) in state.Parameters.OrderBy(p => p.Key))
            {
                json.WriteStartObject(index.ToString(CultureInfo.InvariantCulture));
                json.WriteNumber("step", parameter.Step);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads and validates a checkpoint; nothing is restored until <see cref="Restore(Trainer)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is invalid or not a checkpoint; the message names the file and the entry.</exception>
    /// <exception cref="ModelSpecException">The stored spec or optimizer options are invalid.</exception>
    public static Checkpoint Load(string path)
    {
        var file = SafeTensors.Load(path);
        var spec = file.Metadata.ContainsKey(ModelFile.SpecKey) ? ModelFile.ReadSpec(file, path) : null;
        string Required(string key) => file.Metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{path}: no \"{key}\" in __metadata__, so this is not a Neurite checkpoint.");

        string optimizerSource = $"{path}: __metadata__.{OptimizerKey}";
        var reader = new SpecReader(optimizerSource);
        var steps = new Dictionary<int, long>();
        var groups = new List<OptimizerOptions>();
        using (var document = ParseJson(Required(OptimizerKey), reader))
        {
            var f = reader.Object(document.RootElement, "", "optimizer state", ["groups", "state"]);
            var groupsElement = f.Required("groups", "a list of parameter groups");
            if (groupsElement.ValueKind != JsonValueKind.Array || groupsElement.GetArrayLength() == 0)
            {
                throw reader.Error("groups", $"expected a non-empty list of parameter groups, got {SpecReader.Show(groupsElement)}");
            }
            int g = 0;
            foreach (var group in groupsElement.EnumerateArray())
            {
                groups.Add(OptimizerSpec.Parse(reader, group, $"groups[{g++}]").Options);
            }
            var stateElement = f.Required("state", "the step count of each parameter");
            if (stateElement.ValueKind != JsonValueKind.Object)
            {
                throw reader.Error("state", $"expected an object of step counts by parameter index, got {SpecReader.Show(stateElement)}");
            }
            foreach (var entry in stateElement.EnumerateObject())
            {
                string entryPath = $"state.{entry.Name}";
                if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                {
                    throw reader.Error(entryPath, "expected a parameter index");
                }
                var step = reader.Object(entry.Value, entryPath, "parameter state", ["step"]).Required("step", "a step count");
                if (step.ValueKind != JsonValueKind.Number || !step.TryGetInt64(out long count) || count < 1)
                {
                    throw reader.Error(entryPath + ".step", $"expected a positive integer, got {SpecReader.Show(step)}");
                }
                steps[index] = count;
            }
        }

        var modelState = new Dictionary<string, Tensor>();
        var buffers = steps.Keys.ToDictionary(index => index, _ => new Dictionary<string, float[]>());
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.StartsWith(ModelPrefix, StringComparison.Ordinal))
            {
                modelState[name[ModelPrefix.Length..]] = tensor;
                continue;
            }
            var parts = name.Split('.');
            if (parts.Length != 3 || parts[0] + "." != OptimizerPrefix
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || parts[2].Length == 0)
            {
                throw new InvalidDataException(OneLine.Escape($"{path}: tensor \"{name}\" is neither model.NAME nor optimizer.INDEX.BUFFER."));
            }
            if (!buffers.TryGetValue(index, out var own))
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\" belongs to parameter {index}, which has no entry in {OptimizerKey}.state.");
            }
            own[parts[2]] = tensor.ToArray();
        }
        var optimizerState = new OptimizerState(groups, steps.ToDictionary(s => s.Key, s => new ParameterState(s.Value, buffers[s.Key])));

        JsonObject training;
        try
        {
            training = JsonNode.Parse(Required(TrainingKey)) as JsonObject
                ?? throw new InvalidDataException($"{path}: __metadata__.{TrainingKey} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: __metadata__.{TrainingKey} is not valid JSON: {JsonErrors.Describe(e)}");
        }
        return new Checkpoint(path, spec, modelState, optimizerState, training);
    }

    private static JsonDocument ParseJson(string json, SpecReader reader)
    {
        try
        {
            var document = JsonDocument.Parse(json);
            try
            {
                reader.CheckStrings(document.RootElement);
            }
            catch (ModelSpecException)
            {
                document.Dispose();
                throw;
            }
            return document;
        }
        catch (JsonException e)
        {
            throw reader.Error("", $"not valid JSON: {JsonErrors.Describe(e)}");
        }
    }

    /// <summary>
    /// Restores the whole run into <paramref name="trainer"/> (built as the one that saved it): the
    /// weights, the optimizer's state, and the history, step count and schedules (<see cref="Trainer.LoadState"/>).
    /// Training on continues bit-identically to the run that saved it.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint does not fit the trainer; every problem is listed.</exception>
    public void Restore(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var optimizer = trainer.Optimizer ?? throw new ArgumentException("Checkpoint: the trainer has no optimizer to restore into.", nameof(trainer));
        Restore(trainer.Model, optimizer);
        trainer.LoadState(Training, $"{_source}: __metadata__.{TrainingKey}");
    }

    /// <summary>
    /// Copies the weights into <paramref name="model"/> and the state into <paramref name="optimizer"/>
    /// (built as the saved ones were, over the model's parameters). Nothing changes in either unless both fit.
    /// </summary>
    /// <exception cref="InvalidDataException">The weights or the optimizer state do not fit; every problem is listed.</exception>
    public void Restore(Module model, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var before = optimizer.StateDict();
        try
        {
            optimizer.LoadStateDict(OptimizerState);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{_source}: the optimizer state does not fit the optimizer: {e.Message.Split('\n')[0].TrimEnd()}");
        }
        try
        {
            ModelFile.LoadState(model, ModelState, _source);
        }
        catch (InvalidDataException)
        {
            optimizer.LoadStateDict(before);
            throw;
        }
    }
}
