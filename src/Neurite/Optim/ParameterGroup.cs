using Neurite.NN;

namespace Neurite.Optim;

/// <summary>
/// A set of parameters that share hyperparameters (a PyTorch param_group). Without options of its
/// own the group takes the optimizer's defaults when the optimizer is built:
/// <code>
/// var defaults = new SGDOptions(Lr: 1e-2, Momentum: 0.9);
/// var sgd = new SGD([new ParameterGroup(body.Parameters()), new ParameterGroup(head.Parameters(), defaults with { Lr = 1e-3 })], defaults);
/// </code>
/// </summary>
public sealed class ParameterGroup
{
    private OptimizerOptions? _options;

    public ParameterGroup(IEnumerable<Parameter> parameters, OptimizerOptions? options = null)
    {
        Parameters = [.. parameters];
        options?.Validate();
        _options = options;
    }

    /// <summary>The group's parameters, in the order the optimizer numbers them.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// The group's hyperparameters. Setting them validates the values and requires the same options
    /// type as before (an Adam group takes <see cref="AdamOptions"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Read before an optimizer gave the group its defaults.</exception>
    public OptimizerOptions Options
    {
        get => _options ?? throw new InvalidOperationException(
            "ParameterGroup: the group has no options until an optimizer built from it gives it the defaults.");
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (_options is not null && value.GetType() != _options.GetType())
            {
                throw new ArgumentException(
                    $"ParameterGroup: the group's options are {_options.GetType().Name}; {value.GetType().Name} cannot replace them.",
                    nameof(value));
            }
            value.Validate();
            _options = value;
        }
    }

    /// <summary>The learning rate, which schedules set each step (shorthand for Options.Lr).</summary>
    public double Lr
    {
        get => Options.Lr;
        set => Options = Options with { Lr = value };
    }

    /// <summary>Whether the group has options (its own, or the defaults once an optimizer is built).</summary>
    internal bool HasOptions => _options is not null;
}
