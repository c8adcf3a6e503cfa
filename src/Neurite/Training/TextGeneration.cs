using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>How <see cref="TextGenerator.Generate"/> samples.</summary>
/// <param name="Length">The characters to write after the prompt.</param>
/// <param name="Temperature">
/// The logits are divided by it before the softmax: below 1 sharpens, above 1 flattens. 0 is greedy: each character is
/// the arg-max, the first of equal ones (a temperature that is merely tiny samples, almost always the arg-max too).
/// </param>
/// <param name="TopK">When set, only the k most likely characters are candidates (top-k sampling); 1 is greedy.</param>
/// <param name="Seed">The seed of the generator the samples are drawn from: the same seed writes the same text.</param>
public sealed record GenerationOptions(int Length, double Temperature = 1, int? TopK = null, ulong Seed = 0);

/// <summary>
/// Writes text with a character-level language model: a network from ids [T] to logits [T, V] over a vocabulary of V
/// characters (such as one trained on a <c>text:PATH,seq=N</c> source), sampling one character at a time.
/// </summary>
/// <remarks>
/// <para>A chain of an embedding and then layers that each act on every step by itself (linear, element-wise
/// activations, dropout) or are unidirectional rnn, lstm and gru layers returning sequences is run <see cref="Stateful"/>: the prompt once,
/// then one character per step, each recurrent layer carrying its state (<see cref="RecurrentBase.Forward(Tensor, RecurrentState?)"/>),
/// which costs the same for every character. Any other network reads a window: for each new character it runs again
/// on the last T characters (T the spec's input length; fewer at the start) and takes the last step's logits.</para>
/// <para>Sampling: the logits of the last step are divided by the temperature, all but the top k are dropped when
/// asked, and a character is drawn from their softmax with a seeded <see cref="Generator"/>.</para>
/// </remarks>
public sealed class TextGenerator
{
    /// <summary>Layer types that act on each step of a sequence by itself, so that a step can run alone.</summary>
    private static readonly HashSet<string> PerStep =
        ["linear", "relu", "sigmoid", "tanh", "step", "leaky_relu", "elu", "gelu", "silu", "softplus", "identity", "dropout"];

    private readonly Module _model;
    private readonly Dictionary<string, int> _ids;
    private readonly int _window;

    /// <summary>A generator over <paramref name="model"/>, built from <paramref name="spec"/>, whose input ids are <paramref name="vocabulary"/>'s.</summary>
    /// <exception cref="ArgumentException">The spec does not map ids [T] to logits [T, V] or [V] with V the vocabulary's size.</exception>
    public TextGenerator(ModelSpec spec, Module model, IReadOnlyList<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(vocabulary);
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Vocabulary = vocabulary;
        _ids = [];
        for (int i = 0; i < vocabulary.Count; i++)
        {
            _ids.TryAdd(vocabulary[i], i);
        }
        var output = spec.OutputShape();
        if (spec.Input.Count != 1 || output[^1] != vocabulary.Count || output.Length > 2)
        {
            throw new ArgumentException(
                $"generate: a language model maps ids [T] to logits [T, {vocabulary.Count}] (one per character of its vocabulary); this one maps {Shapes.Format([.. spec.Input])} to {Shapes.Format(output)}.");
        }
        _window = spec.Input[0];
        // An embedding first turns the ids [T] into steps [T, D]; any other first layer would mix the steps.
        Stateful = spec.Graph is null && model is Sequential && spec.Layers[0] is EmbeddingSpec && spec.Layers.Skip(1).All(layer =>
            PerStep.Contains(layer.Type) || layer is RecurrentSpec { ReturnSequences: true, Bidirectional: false });
    }

    /// <summary>The character of each id.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Whether the network runs a character at a time, carrying the recurrent layers' state (else it rereads a window).</summary>
    public bool Stateful { get; }

    /// <summary>A generator over a model file written by a run on a text (it needs the file's vocabulary).</summary>
    /// <exception cref="InvalidDataException">The file has no vocabulary.</exception>
    /// <exception cref="ArgumentException">The model is not a language model over its vocabulary.</exception>
    public static TextGenerator From(TrainedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vocabulary = model.Vocabulary ?? throw new InvalidDataException(
            $"{path}: no vocabulary ({ModelFile.VocabularyKey}) in the model file; generate needs a model trained on a text:PATH,seq=N source.");
        return new TextGenerator(model.Loaded.Spec, model.Loaded.Module, vocabulary);
    }

    /// <summary>The text that follows <paramref name="prompt"/>, <see cref="GenerationOptions.Length"/> characters long (the prompt not included).</summary>
    /// <exception cref="ArgumentException">The prompt is empty or has a character outside the vocabulary, or an option is out of range.</exception>
    public string Generate(string prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Length < 0)
        {
            throw new ArgumentException($"--length: expected a non-negative number of characters, got {options.Length}");
        }
        if (!(options.Temperature >= 0 && double.IsFinite(options.Temperature)))
        {
            throw new ArgumentException($"--temperature: expected a finite number >= 0, got {options.Temperature}");
        }
        if (options.TopK is < 1)
        {
            throw new ArgumentException($"--top-k: expected a positive integer, got {options.TopK}");
        }
        var context = Encode(prompt);
        var rng = new Generator(options.Seed);
        var written = new System.Text.StringBuilder();
        bool wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            using var _ = Graph.NoGrad();
            var states = new Dictionary<RecurrentBase, RecurrentState>();
            var logits = Stateful ? Step(context, states) : Window(context);
            for (int i = 0; i < options.Length; i++)
            {
                int id = Sample(logits, options, rng);
                written.Append(Vocabulary[id]);
                context.Add(id);
                if (i + 1 < options.Length)
                {
                    logits = Stateful ? Step([id], states) : Window(context);
                }
            }
        }
        finally
        {
            _model.Train(wasTraining);
        }
        return written.ToString();
    }

    private List<int> Encode(string prompt)
    {
        var characters = TextData.Characters(prompt);
        if (characters.Length == 0)
        {
            throw new ArgumentException("--prompt: empty; give at least one character for the model to continue");
        }
        var ids = new List<int>(characters.Length);
        for (int i = 0; i < characters.Length; i++)
        {
            if (!_ids.TryGetValue(characters[i], out int id))
            {
                throw new ArgumentException(
                    $"--prompt: the character {TextData.Show(characters[i])} at position {i} is not in the model's vocabulary of {Vocabulary.Count} characters");
            }
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>Runs <paramref name="ids"/> through the chain, each recurrent layer from its state and keeping the new one; the last step's logits.</summary>
    private float[] Step(IReadOnlyList<int> ids, Dictionary<RecurrentBase, RecurrentState> states)
    {
        var x = Tensor.From([.. ids.Select(id => (float)id)], [1, ids.Count]);
        foreach (var layer in ((Sequential)_model).Layers)
        {
            if (layer is RecurrentBase recurrent)
            {
                (x, states[recurrent]) = recurrent.Forward(x, states.GetValueOrDefault(recurrent));
            }
            else
            {
                x = layer.Call(x);
            }
        }
        return LastRow(x);
    }

    /// <summary>Runs the network on the last T ids (fewer at the start); the last step's logits.</summary>
    private float[] Window(List<int> context)
    {
        int start = Math.Max(0, context.Count - _window);
        var x = Tensor.From([.. context.Skip(start).Select(id => (float)id)], [1, context.Count - start]);
        return LastRow(_model.Call(x));
    }

    private float[] LastRow(Tensor logits)
    {
        int v = Vocabulary.Count;
        return logits.Data[^v..].ToArray();
    }

    /// <summary>Greedy (temperature 0 or top-1) arg-max, else a draw from softmax(z / temperature) over the top k.</summary>
    private static int Sample(float[] logits, GenerationOptions options, Generator rng)
    {
        int best = 0;
        for (int c = 1; c < logits.Length; c++)
        {
            if (logits[c] > logits[best])
            {
                best = c;
            }
        }
        if (options.Temperature == 0 || options.TopK == 1)
        {
            return best;
        }
        // Candidates: every character, or those at least as likely as the k-th most likely.
        double threshold = double.NegativeInfinity;
        if (options.TopK is { } k && k < logits.Length)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted);
            threshold = sorted[^k];
        }
        var weights = new double[logits.Length];
        double total = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            weights[c] = logits[c] >= threshold ? Math.Exp((logits[c] - logits[best]) / options.Temperature) : 0;
            total += weights[c];
        }
        double u = rng.NextDouble() * total;
        for (int c = 0; c < weights.Length; c++)
        {
            u -= weights[c];
            if (u < 0 && weights[c] > 0)
            {
                return c;
            }
        }
        return best;
    }
}
