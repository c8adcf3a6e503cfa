using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Optim;

/// <summary>
/// The base of the optimizers (torch.optim.Optimizer): parameter groups with their own
/// hyperparameters, <see cref="Step"/>, <see cref="ZeroGrad"/>, and state that can be saved and
/// restored (<see cref="StateDict"/>, <see cref="LoadStateDict"/>).
/// </summary>
/// <remarks>
/// Parameters are numbered through the groups in order; that index keys the state, as in PyTorch's
/// state_dict. A parameter whose Grad is null is skipped by <see cref="Step"/> and gets no state.
/// Updates run over the parameter's data in place, outside autograd, repeating PyTorch's own
/// sequence of in-place ops per element, so that each intermediate is rounded to float32 where
/// PyTorch rounds it: SGD and Adam in one fused pass (Kernels/OptimizerSteps.cs), the others as a
/// few vectorized span passes. Buffers are allocated on a parameter's first update and
/// reused after that; scratch space is shared by all parameters.
/// </remarks>
public abstract class Optimizer
{
    private readonly ParameterGroup[] _groups;
    private readonly Parameter[] _parameters;
    private readonly ParameterSlot?[] _state;
    private readonly string[] _bufferNames;
    private readonly float[][] _scratch = [[], [], []];

    /// <param name="groups">The parameter groups; groups without options take <paramref name="defaults"/>.</param>
    /// <param name="defaults">The hyperparameters of groups that bring none (PyTorch's defaults dict).</param>
    /// <param name="bufferNames">PyTorch's names of the per-parameter buffers, indexed as <see cref="ParameterSlot.Buffers"/>.</param>
    protected Optimizer(IEnumerable<ParameterGroup> groups, OptimizerOptions defaults, IReadOnlyList<string> bufferNames)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        defaults.Validate();
        _groups = [.. groups];
        _bufferNames = [.. bufferNames];
        string name = GetType().Name;
        if (_groups.Length == 0 || _groups.All(group => group.Parameters.Count == 0))
        {
            throw new ArgumentException($"{name}: optimizer got an empty parameter list.", nameof(groups));
        }
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var group in _groups)
        {
            if (!group.HasOptions)
            {
                group.Options = defaults;
            }
            else if (group.Options.GetType() != defaults.GetType())
            {
                throw new ArgumentException(
                    $"{name}: a parameter group has {group.Options.GetType().Name}, but {name} takes {defaults.GetType().Name}.",
                    nameof(groups));
            }
            foreach (var p in group.Parameters)
            {
                if (!seen.Add(p))
                {
                    throw new ArgumentException($"{name}: some parameters appear in more than one parameter group.", nameof(groups));
                }
            }
        }
        _parameters = [.. _groups.SelectMany(group => group.Parameters)];
        _state = new ParameterSlot?[_parameters.Length];
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> ParamGroups => _groups;

    /// <summary>
    /// Updates every parameter that has a gradient, each group with its own hyperparameters.
    /// </summary>
    /// <exception cref="InvalidOperationException">A gradient's size differs from its parameter's.</exception>
    public void Step()
    {
        // Index loops: enumerating an IReadOnlyList would allocate an enumerator per group per step.
        int index = 0;
        foreach (var group in _groups)
        {
            var options = group.Options;
            var parameters = group.Parameters;
            for (int k = 0; k < parameters.Count; k++)
            {
                var p = parameters[k];
                if (p.GradInternal is { } grad)
                {
                    if (grad.Count != p.Count)
                    {
                        throw new InvalidOperationException(
                            $"{GetType().Name}.Step: parameter {index} has shape {Shapes.Format(p.Shape)} but its gradient has shape {Shapes.Format(grad.Shape)}.");
                    }
                    var slot = _state[index] ??= new ParameterSlot(_bufferNames.Length, p.Count);
                    slot.Step++;
                    Update(p.Data, grad.Data, slot, options);
                }
                index++;
            }
        }
    }

    /// <summary>
    /// Clears every parameter's gradient: sets it to null (PyTorch ≥ 2.0's default), or with
    /// <paramref name="setToNone"/> false fills it with zeros (PyTorch 1.13's default).
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _parameters)
        {
            if (setToNone)
            {
                p.GradInternal = null;
            }
            else
            {
                p.GradInternal?.Data.Clear();
            }
        }
    }

    /// <summary>A deep copy of the state: every group's options, every updated parameter's step count and buffers.</summary>
    public OptimizerState StateDict()
    {
        var parameters = new Dictionary<int, ParameterState>();
        for (int i = 0; i < _state.Length; i++)
        {
            if (_state[i] is { } slot)
            {
                var buffers = new Dictionary<string, float[]>();
                for (int k = 0; k < _bufferNames.Length; k++)
                {
                    if (slot.Buffers[k] is { } buffer)
                    {
                        buffers[_bufferNames[k]] = (float[])buffer.Clone();
                    }
                }
                parameters[i] = new ParameterState(slot.Step, buffers);
            }
        }
        return new OptimizerState([.. _groups.Select(group => group.Options)], parameters);
    }

    /// <summary>
    /// Replaces the state with a deep copy of <paramref name="state"/> (from <see cref="StateDict"/>
    /// of an optimizer of the same type over parameters of the same shapes). Nothing changes when
    /// the state does not fit.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit: every problem is listed.</exception>
    public void LoadStateDict(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var problems = new List<string>();
        if (state.Groups.Count != _groups.Length)
        {
            problems.Add($"{state.Groups.Count} groups, expected {_groups.Length}");
        }
        for (int g = 0; g < Math.Min(state.Groups.Count, _groups.Length); g++)
        {
            if (state.Groups[g].GetType() != _groups[g].Options.GetType())
            {
                problems.Add($"group {g} has {state.Groups[g].GetType().Name}, expected {_groups[g].Options.GetType().Name}");
            }
        }
        foreach (var (index, parameter) in state.Parameters)
        {
            if ((uint)index >= (uint)_parameters.Length)
            {
                problems.Add($"parameter {index} does not exist (there are {_parameters.Length})");
                continue;
            }
            foreach (var (bufferName, buffer) in parameter.Buffers)
            {
                if (!_bufferNames.Contains(bufferName))
                {
                    problems.Add($"parameter {index}: unknown buffer {bufferName}");
                }
                else if (buffer.Length != _parameters[index].Count)
                {
                    problems.Add($"parameter {index}: {bufferName} holds {buffer.Length} values, expected {_parameters[index].Count}");
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException($"{GetType().Name}.LoadStateDict: {string.Join("; ", problems)}.", nameof(state));
        }
        foreach (var options in state.Groups)
        {
            options.Validate();
        }

        for (int g = 0; g < _groups.Length; g++)
        {
            _groups[g].Options = state.Groups[g];
        }
        Array.Clear(_state);
        foreach (var (index, parameter) in state.Parameters)
        {
            var slot = new ParameterSlot(_bufferNames.Length, _parameters[index].Count) { Step = parameter.Step };
            foreach (var (bufferName, buffer) in parameter.Buffers)
            {
                slot.Buffers[Array.IndexOf(_bufferNames, bufferName)] = (float[])buffer.Clone();
            }
            _state[index] = slot;
        }
    }

    /// <summary>
    /// Updates one parameter in place from its gradient, with its group's options (of this
    /// optimizer's options type).
    /// </summary>
    protected abstract void Update(Span<float> parameter, ReadOnlySpan<float> grad, ParameterSlot state, OptimizerOptions options);

    /// <summary>
    /// Scratch space of <paramref name="length"/> floats, one of three (<paramref name="which"/> 0–2),
    /// shared by all parameters and grown only when a larger parameter needs it. Its contents are
    /// whatever the last user left.
    /// </summary>
    protected Span<float> Scratch(int which, int length)
    {
        if (_scratch[which].Length < length)
        {
            _scratch[which] = new float[length];
        }
        return _scratch[which].AsSpan(0, length);
    }

    /// <summary>A parameter's state: its update count and its buffers (null until first used).</summary>
    protected internal sealed class ParameterSlot
    {
        internal ParameterSlot(int bufferCount, int length)
        {
            Buffers = new float[]?[bufferCount];
            Length = length;
        }

        /// <summary>The number of elements of the parameter, and so of each buffer.</summary>
        public int Length { get; }

        /// <summary>The number of updates so far, this one included (Step counts before it calls Update).</summary>
        public long Step { get; internal set; }

        /// <summary>The buffers, indexed as the buffer names given to the base constructor.</summary>
        public float[]?[] Buffers { get; }

        /// <summary>Buffer <paramref name="which"/>, created on first use with every element <paramref name="initial"/>.</summary>
        public float[] Buffer(int which, float initial = 0f)
        {
            if (Buffers[which] is not { } buffer)
            {
                buffer = new float[Length];
                if (initial != 0f)
                {
                    buffer.AsSpan().Fill(initial);
                }
                Buffers[which] = buffer;
            }
            return buffer;
        }
    }
}
