namespace Neurite.Optim;

/// <summary>
/// A deep copy of an optimizer's state (PyTorch's optimizer.state_dict()): the options of each
/// group, and per parameter index (counting through the groups in order) the number of updates
/// and the named buffers. Loading it into an optimizer over parameters of the same shapes makes
/// the next steps bit-identical to those of the optimizer it was taken from.
/// </summary>
public sealed class OptimizerState
{
    public OptimizerState(IReadOnlyList<OptimizerOptions> groups, IReadOnlyDictionary<int, ParameterState> parameters)
    {
        Groups = groups;
        Parameters = parameters;
    }

    /// <summary>The hyperparameters of each group.</summary>
    public IReadOnlyList<OptimizerOptions> Groups { get; }

    /// <summary>The state of every parameter that has been updated, by parameter index.</summary>
    public IReadOnlyDictionary<int, ParameterState> Parameters { get; }
}

/// <summary>
/// One parameter's optimizer state: how many updates it has had and its buffers under PyTorch's
/// names (momentum_buffer, exp_avg, exp_avg_sq, max_exp_avg_sq, square_avg, grad_avg, sum).
/// </summary>
public sealed class ParameterState
{
    public ParameterState(long step, IReadOnlyDictionary<string, float[]> buffers)
    {
        Step = step;
        Buffers = buffers;
    }

    /// <summary>The number of updates this parameter has had.</summary>
    public long Step { get; }

    /// <summary>The buffers, each as long as the parameter, by name.</summary>
    public IReadOnlyDictionary<string, float[]> Buffers { get; }
}
