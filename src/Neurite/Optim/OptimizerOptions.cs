using System.Globalization;

namespace Neurite.Optim;

/// <summary>
/// The hyperparameters of one parameter group, as the entries of a PyTorch param_group: each
/// optimizer has its own record (<see cref="SGDOptions"/>, <see cref="AdamOptions"/>, …). Records
/// are immutable, so a group changes its hyperparameters by taking a copy:
/// <c>group.Options = group.Options with { Lr = 0.01 }</c>.
/// </summary>
/// <param name="Lr">The learning rate (a double, as PyTorch's Python floats).</param>
public abstract record OptimizerOptions(double Lr)
{
    /// <summary>Throws <see cref="ArgumentException"/> for a value PyTorch's constructor rejects.</summary>
    internal virtual void Validate() => RequireNonNegative(Lr, "learning rate", nameof(Lr));

    /// <summary>
    /// These options with <paramref name="momentum"/> as their momentum, as PyTorch's OneCycleLR sets it: the momentum
    /// of an optimizer that has one (SGD, RMSprop), else β₁ of one that has betas (Adam, AdamW); null for one with neither.
    /// </summary>
    internal virtual OptimizerOptions? WithMomentum(double momentum) => null;

    /// <summary>Throws "Invalid {what}: {value}" (PyTorch's message) unless 0 ≤ value.</summary>
    private protected static void RequireNonNegative(double value, string what, string name)
    {
        if (!(value >= 0))
        {
            throw Invalid(what, value, name);
        }
    }

    /// <summary>Throws "Invalid {what}: {value}" unless 0 ≤ value &lt; 1 (PyTorch's check of Adam's betas).</summary>
    private protected static void RequireUnitInterval(double value, string what, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw Invalid(what, value, name);
        }
    }

    /// <summary>PyTorch's checks of Adam's and AdamW's ε, betas and weight decay, with its messages.</summary>
    private protected static void ValidateAdam(double eps, double beta1, double beta2, double weightDecay)
    {
        RequireNonNegative(eps, "epsilon value", "Eps");
        RequireUnitInterval(beta1, "beta parameter at index 0", "Beta1");
        RequireUnitInterval(beta2, "beta parameter at index 1", "Beta2");
        RequireNonNegative(weightDecay, "weight_decay value", "WeightDecay");
    }

    /// <summary>"Invalid {what}: {value}", the value written as Python writes it for small ones (1e-08, not 1E-08).</summary>
    private protected static ArgumentException Invalid(string what, double value, string name) =>
        new($"Invalid {what}: {value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e')}", name);
}
