using System.Text;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Observes a module's input and output after its forward pass.</summary>
public delegate void ForwardHook(Module module, Tensor input, Tensor output);

/// <summary>Observes ∂L/∂output of a module (the seeds' error signal δ for a linear layer) during Backward.</summary>
public delegate void BackwardHook(Module module, Tensor gradOutput);

/// <summary>
/// A network or a part of one (as torch.nn.Module): named parameters, buffers and child modules,
/// registered explicitly in the constructor; a training/evaluation mode; a state dict with
/// PyTorch's dotted names; and hooks on the forward and backward passes.
/// </summary>
/// <remarks>
/// Subclasses implement <see cref="Forward(Tensor)"/>; callers use <see cref="Call(Tensor)"/>, which
/// also runs the hooks. A module that takes several inputs (a concatenation, a sum, a graph with
/// several model inputs) also overrides <see cref="Forward(IReadOnlyList{Tensor})"/>, which callers
/// reach through <see cref="Call(IReadOnlyList{Tensor})"/>.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];
    private List<Generator>? _generators;
    private List<ForwardHook>? _forwardHooks;
    private List<BackwardHook>? _backwardHooks;

    /// <summary>Whether a forward or backward hook is registered on this module (not its children).</summary>
    internal bool HasHooks => _forwardHooks is { Count: > 0 } || _backwardHooks is { Count: > 0 };

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The computation of this module. Call <see cref="Call(Tensor)"/> to run it with its hooks.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// The computation over several inputs. By default a module takes one input: a list of one is
    /// passed to <see cref="Forward(Tensor)"/>, and a longer list is an error.
    /// </summary>
    /// <exception cref="ArgumentException">The module takes one input and got another number.</exception>
    public virtual Tensor Forward(IReadOnlyList<Tensor> inputs) =>
        inputs.Count == 1 ? Forward(inputs[0]) : throw new ArgumentException($"{GetType().Name}: takes one input, got {inputs.Count}.", nameof(inputs));

    /// <summary>
    /// Runs <see cref="Forward(Tensor)"/>, then the forward hooks, and arms the backward hooks on the output. A call that
    /// no other module's call encloses first lets <see cref="BufferPool.Sweep"/> take back the arrays of the tensors
    /// that are no longer reachable (the last step's activations), so that this pass reuses their memory.
    /// </summary>
    public Tensor Call(Tensor x)
    {
        Enter();
        try
        {
            return Hooked(x, Forward(x));
        }
        finally
        {
            _callDepth--;
        }
    }

    /// <summary>
    /// Runs <see cref="Forward(IReadOnlyList{Tensor})"/> with its hooks, as <see cref="Call(Tensor)"/>;
    /// forward hooks see the first input.
    /// </summary>
    public Tensor Call(IReadOnlyList<Tensor> inputs)
    {
        Enter();
        try
        {
            return Hooked(inputs[0], Forward(inputs));
        }
        finally
        {
            _callDepth--;
        }
    }

    /// <summary>How many module calls enclose the running code on this thread.</summary>
    [ThreadStatic] private static int _callDepth;

    private static void Enter()
    {
        if (_callDepth++ == 0)
        {
            BufferPool.Sweep();
        }
    }

    private Tensor Hooked(Tensor x, Tensor y)
    {
        if (_forwardHooks is not null)
        {
            foreach (var hook in _forwardHooks)
            {
                hook(this, x, y);
            }
        }
        if (_backwardHooks is not null && y.RequiresGrad)
        {
            var hooks = _backwardHooks;
            y.RegisterHook(g =>
            {
                foreach (var hook in hooks)
                {
                    hook(this, g);
                }
            });
        }
        return y;
    }

    /// <summary>
    /// Adds a hook that sees this module's input and output after every forward pass; disposing the returned handle
    /// removes it (PyTorch's <c>RemovableHandle</c>).
    /// </summary>
    public IDisposable RegisterForwardHook(ForwardHook hook)
    {
        var hooks = _forwardHooks ??= [];
        hooks.Add(hook);
        return new HookHandle(() => hooks.Remove(hook));
    }

    /// <summary>Adds a hook that sees the gradient with respect to this module's output during Backward.</summary>
    public void RegisterBackwardHook(BackwardHook hook) => (_backwardHooks ??= []).Add(hook);

    /// <summary>Registers a learnable tensor under <paramref name="name"/> and returns it as a <see cref="Parameter"/>.</summary>
    protected Parameter Register(string name, Tensor value)
    {
        CheckName(name);
        var parameter = value as Parameter ?? new Parameter(value);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a tensor that is state but not learned (e.g. batch norm's running mean).</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        CheckName(name);
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module; its names are prefixed with <paramref name="name"/> and a dot.</summary>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>
    /// Registers a generator this module draws from while it runs (dropout's masks), so that
    /// <see cref="Generators"/> lists it and a trainer can reseed it.
    /// </summary>
    protected Generator RegisterGenerator(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        (_generators ??= []).Add(generator);
        return generator;
    }

    /// <summary>
    /// The generators this module and its descendants draw from while running, each once, in the
    /// order first registered. <see cref="Training.Trainer"/> reseeds them at the start of every epoch.
    /// </summary>
    public IReadOnlyList<Generator> Generators()
    {
        var found = new List<Generator>();
        CollectGenerators(found);
        return found;
    }

    private void CollectGenerators(List<Generator> found)
    {
        foreach (var generator in _generators ?? [])
        {
            if (!found.Contains(generator))
            {
                found.Add(generator);
            }
        }
        foreach (var (_, child) in _children)
        {
            child.CollectGenerators(found);
        }
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
        {
            throw new ArgumentException($"{GetType().Name}: '{name}' is not a valid name (non-empty, no dots).");
        }
        if (_parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _children.Any(c => c.Key == name))
        {
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered.");
        }
    }

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _children;

    /// <summary>This module and every descendant, depth first in registration order (PyTorch's <c>modules()</c>).</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var (_, child) in _children)
        {
            foreach (var module in child.Modules())
            {
                yield return module;
            }
        }
    }

    /// <summary>Every parameter of this module and its descendants, with dotted names ("0.weight").</summary>
    public IEnumerable<KeyValuePair<string, Parameter>> NamedParameters(string prefix = "")
    {
        foreach (var (name, parameter) in _parameters)
        {
            yield return new(prefix + name, parameter);
        }
        foreach (var (name, child) in _children)
        {
            foreach (var entry in child.NamedParameters(prefix + name + "."))
            {
                yield return entry;
            }
        }
    }

    /// <summary>Every parameter of this module and its descendants.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(entry => entry.Value);

    /// <summary>Every buffer of this module and its descendants, with dotted names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var (name, buffer) in _buffers)
        {
            yield return new(prefix + name, buffer);
        }
        foreach (var (name, child) in _children)
        {
            foreach (var entry in child.NamedBuffers(prefix + name + "."))
            {
                yield return entry;
            }
        }
    }

    /// <summary>The number of learnable values (elements of all parameters).</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Count);

    /// <summary>
    /// Parameters then buffers, module by module, under PyTorch's names. The tensors are the
    /// module's own (not copies): clone them to keep a snapshot.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        AddState(state, "");
        return state;
    }

    private void AddState(Dictionary<string, Tensor> state, string prefix)
    {
        foreach (var (name, parameter) in _parameters)
        {
            state[prefix + name] = parameter;
        }
        foreach (var (name, buffer) in _buffers)
        {
            state[prefix + name] = buffer;
        }
        foreach (var (name, child) in _children)
        {
            child.AddState(state, prefix + name + ".");
        }
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers (in
    /// place, so optimizers keep their references). Nothing is copied unless every entry fits: a
    /// missing, unexpected (when <paramref name="strict"/>) or mis-shaped entry fails the whole
    /// load with one message listing them all.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(name => !state.ContainsKey(name)).ToList();
        var unexpected = state.Keys.Where(name => !own.ContainsKey(name)).ToList();
        var misShaped = own
            .Where(entry => state.TryGetValue(entry.Key, out var value) && !Shapes.SameShape(value.Shape, entry.Value.Shape))
            .Select(entry => $"{entry.Key}: expected {Shapes.Format(entry.Value.Shape)}, got {Shapes.Format(state[entry.Key].Shape)}")
            .ToList();
        var problems = new List<string>();
        if (strict && missing.Count > 0)
        {
            problems.Add("missing " + string.Join(", ", missing));
        }
        if (strict && unexpected.Count > 0)
        {
            problems.Add("unexpected " + string.Join(", ", unexpected));
        }
        if (misShaped.Count > 0)
        {
            problems.Add("mis-shaped " + string.Join("; ", misShaped));
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: {string.Join("; ", problems)}.");
        }
        foreach (var (name, tensor) in own)
        {
            if (state.TryGetValue(name, out var value))
            {
                value.Data.CopyTo(tensor.Data);
            }
        }
    }

    /// <summary>Sets training mode on this module and its descendants (dropout active, batch statistics).</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children)
        {
            child.Train(training);
        }
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off, running statistics).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters())
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>A one-line description of this module alone, e.g. "Linear(2 => 3)".</summary>
    public virtual string Describe() => GetType().Name + "()";

    /// <summary>This module, and its children indented beneath it as PyTorch prints them.</summary>
    public override string ToString()
    {
        if (_children.Count == 0)
        {
            return Describe();
        }
        var builder = new StringBuilder(GetType().Name).Append("(\n");
        foreach (var (name, child) in _children)
        {
            var childText = child.ToString().Replace("\n", "\n  ", StringComparison.Ordinal);
            builder.Append("  (").Append(name).Append("): ").Append(childText).Append('\n');
        }
        return builder.Append(')').ToString();
    }
}

/// <summary>Removes a registered hook when disposed; disposing twice removes it once.</summary>
internal sealed class HookHandle(Action remove) : IDisposable
{
    private Action? _remove = remove;

    public void Dispose()
    {
        _remove?.Invoke();
        _remove = null;
    }
}
