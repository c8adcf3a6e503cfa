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
/// <remarks>
/// A run with several optimizers (a GAN's two) names each: the optimizer called NAME (ending in <c>_optimizer</c>, such as
/// <c>generator_optimizer</c>) has its buffers under <c>NAME.INDEX.BUFFER</c> and its options under <c>neurite.NAME</c>.
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The metadata key of the optimizer's options and step counts.</summary>
    public const string OptimizerKey = "neurite.optimizer";

    /// <summary>The metadata key of the caller's training state.</summary>
    public const string TrainingKey = "neurite.training";

    /// <summary>The name of a run's only optimizer: its state is under <c>optimizer.</c> and <see cref="OptimizerKey"/>.</summary>
    public const string DefaultOptimizer = "optimizer";

    private const string ModelPrefix = "model.", MetadataPrefix = "neurite.", OptimizerSuffix = "_optimizer";

    private readonly string _source;

    private Checkpoint(string source, ModelSpec? spec, Dictionary<string, Tensor> modelState, Dictionary<string, OptimizerState> optimizerStates, JsonObject training)
    {
        _source = source;
        Spec = spec;
        ModelState = modelState;
        OptimizerStates = optimizerStates;
        Training = training;
    }

    /// <summary>The model spec, or null for a model built in code.</summary>
    public ModelSpec? Spec { get; }

    /// <summary>The model's state dict, under the module's own names (without "model.").</summary>
    public IReadOnlyDictionary<string, Tensor> ModelState { get; }

    /// <summary>Each optimizer's state by its name (<see cref="DefaultOptimizer"/> for a run with one), for <see cref="Optimizer.LoadStateDict"/>.</summary>
    public IReadOnlyDictionary<string, OptimizerState> OptimizerStates { get; }

    /// <summary>The state of the run's only optimizer, for <see cref="Optimizer.LoadStateDict"/>.</summary>
    /// <exception cref="InvalidDataException">The checkpoint holds named optimizers (a GAN's) instead.</exception>
    public OptimizerState OptimizerState => OptimizerStates.TryGetValue(DefaultOptimizer, out var state)
        ? state
        : throw new InvalidDataException($"{_source}: the checkpoint holds the optimizers {string.Join(", ", OptimizerStates.Keys.Order())}, not one \"{DefaultOptimizer}\".");

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
        ArgumentNullException.ThrowIfNull(optimizer);
        Save(path, spec, model, new Dictionary<string, Optimizer> { [DefaultOptimizer] = optimizer }, training);
    }

    /// <summary>
    /// Writes a checkpoint of a run with several optimizers, each under its name (<see cref="DefaultOptimizer"/>, or one
    /// ending in <c>_optimizer</c>), to <paramref name="path"/> atomically.
    /// </summary>
    /// <exception cref="ArgumentException">There is no optimizer, or a name is neither.</exception>
    public static void Save(string path, ModelSpec? spec, Module model, IReadOnlyDictionary<string, Optimizer> optimizers, JsonObject? training = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizers);
        if (optimizers.Count == 0)
        {
            throw new ArgumentException("Checkpoint: no optimizer to save", nameof(optimizers));
        }
        if (optimizers.Keys.FirstOrDefault(name => !IsOptimizerName(name)) is { } wrong)
        {
            throw new ArgumentException($"Checkpoint: \"{wrong}\" is not an optimizer's name (\"{DefaultOptimizer}\" or NAME{OptimizerSuffix}, letters, digits and _)", nameof(optimizers));
        }
        var tensors = new List<KeyValuePair<string, Tensor>>();
        tensors.AddRange(model.StateDict().Select(entry => new KeyValuePair<string, Tensor>(ModelPrefix + entry.Key, entry.Value)));
        var metadata = new Dictionary<string, string> { [TrainingKey] = (training ?? []).ToJsonString() };
        foreach (var (name, optimizer) in optimizers)
        {
            var state = optimizer.StateDict();
            foreach (var (index, parameter) in state.Parameters)
            {
                foreach (var (buffer, values) in parameter.Buffers)
                {
                    tensors.Add(new($"{name}.{index.ToString(CultureInfo.InvariantCulture)}.{buffer}", Tensor.From(values)));
                }
            }
            metadata[MetadataPrefix + name] = OptimizerJson(state);
        }
        if (spec is not null)
        {
            metadata[ModelFile.SpecKey] = spec.ToJson(indented: false);
        }
        SafeTensors.Save(path, tensors, metadata);
    }

    private static bool IsOptimizerName(string name) =>
        name == DefaultOptimizer || (name.EndsWith(OptimizerSuffix, StringComparison.Ordinal) && name.Length > OptimizerSuffix.Length
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'));

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
        var names = file.Metadata.Keys
            .Where(key => key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && IsOptimizerName(key[MetadataPrefix.Length..]))
            .Select(key => key[MetadataPrefix.Length..]).ToList();
        if (names.Count == 0)
        {
            throw new InvalidDataException($"{path}: no \"{OptimizerKey}\" in __metadata__, so this is not a Neurite checkpoint.");
        }
        if (!file.Metadata.TryGetValue(TrainingKey, out var trainingJson))
        {
            throw new InvalidDataException($"{path}: no \"{TrainingKey}\" in __metadata__, so this is not a Neurite checkpoint.");
        }
        var saved = names.ToDictionary(name => name, name => ReadOptimizer(path, name, file.Metadata[MetadataPrefix + name]));

        var modelState = new Dictionary<string, Tensor>();
        var buffers = names.ToDictionary(name => name, name => saved[name].Steps.Keys.ToDictionary(index => index, _ => new Dictionary<string, float[]>()));
        foreach (var (name, tensor) in file.Tensors)
        {
            if (name.StartsWith(ModelPrefix, StringComparison.Ordinal))
            {
                modelState[name[ModelPrefix.Length..]] = tensor;
                continue;
            }
            var parts = name.Split('.');
            if (parts.Length != 3 || !buffers.TryGetValue(parts[0], out var optimizerBuffers)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || parts[2].Length == 0)
            {
                throw new InvalidDataException(OneLine.Escape(
                    $"{path}: tensor \"{name}\" is neither model.NAME nor {string.Join(" nor ", names.Select(n => n + ".INDEX.BUFFER"))}."));
            }
            if (!optimizerBuffers.TryGetValue(index, out var own))
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\" belongs to parameter {index}, which has no entry in {MetadataPrefix}{parts[0]}.state.");
            }
            own[parts[2]] = tensor.ToArray();
        }
        var optimizerStates = names.ToDictionary(name => name, name => new OptimizerState(saved[name].Groups,
            saved[name].Steps.ToDictionary(s => s.Key, s => new ParameterState(s.Value, buffers[name][s.Key]))));

        JsonObject training;
        try
        {
            training = JsonNode.Parse(trainingJson) as JsonObject
                ?? throw new InvalidDataException($"{path}: __metadata__.{TrainingKey} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: __metadata__.{TrainingKey} is not valid JSON: {JsonErrors.Describe(e)}");
        }
        return new Checkpoint(path, spec, modelState, optimizerStates, training);
    }

    /// <summary>The options of optimizer <paramref name="name"/>'s groups and each parameter's step count, from its metadata entry.</summary>
    private static (List<OptimizerOptions> Groups, Dictionary<int, long> Steps) ReadOptimizer(string path, string name, string json)
    {
        var reader = new SpecReader($"{path}: __metadata__.{MetadataPrefix}{name}");
        var steps = new Dictionary<int, long>();
        var groups = new List<OptimizerOptions>();
        using var document = ParseJson(json, reader);
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
        return (groups, steps);
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
        ArgumentNullException.ThrowIfNull(optimizer);
        Restore(model, new Dictionary<string, Optimizer> { [DefaultOptimizer] = optimizer });
    }

    /// <summary>
    /// Copies the weights into <paramref name="model"/> and each optimizer's state into the optimizer of that name (built
    /// as the saved ones were). The names must be the saved ones. Nothing changes in any of them unless all fit.
    /// </summary>
    /// <exception cref="InvalidDataException">The names, the weights or an optimizer's state do not fit; the message says which.</exception>
    public void Restore(Module model, IReadOnlyDictionary<string, Optimizer> optimizers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizers);
        if (!optimizers.Keys.Order().SequenceEqual(OptimizerStates.Keys.Order()))
        {
            throw new InvalidDataException($"{_source}: the checkpoint holds the optimizers {string.Join(", ", OptimizerStates.Keys.Order())}, "
                + $"the run has {string.Join(", ", optimizers.Keys.Order())}.");
        }
        var before = optimizers.ToDictionary(entry => entry.Key, entry => entry.Value.StateDict());
        void Undo()
        {
            foreach (var (name, state) in before)
            {
                optimizers[name].LoadStateDict(state);
            }
        }
        foreach (var (name, optimizer) in optimizers)
        {
            try
            {
                optimizer.LoadStateDict(OptimizerStates[name]);
            }
            catch (ArgumentException e)
            {
                Undo();
                string what = name == DefaultOptimizer ? "the optimizer state does not fit the optimizer" : $"the state of {name} does not fit the run's {name}";
                throw new InvalidDataException($"{_source}: {what}: {e.Message.Split('\n')[0].TrimEnd()}");
            }
        }
        try
        {
            ModelFile.LoadState(model, ModelState, _source);
        }
        catch (InvalidDataException)
        {
            Undo();
            throw;
        }
    }
}
