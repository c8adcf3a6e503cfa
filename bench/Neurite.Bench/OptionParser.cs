using System.Globalization;

namespace Neurite.Bench;

/// <summary>
/// The options of one benchmark command: `--name value` options and `--flag`s, declared with where each value goes.
/// <see cref="TryParse"/> prints a one-line error naming the command, the option and what it takes.
/// </summary>
internal sealed class OptionParser(string command)
{
    private readonly Dictionary<string, (string Takes, Func<string, bool> TrySet)> _valued = [];
    private readonly Dictionary<string, Action> _flags = [];

    /// <summary>`name N`, N an integer of at least 1.</summary>
    public OptionParser Positive(string name, Action<int> set) => Valued(name, "a positive integer", text =>
    {
        bool ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1;
        if (ok)
        {
            set(value);
        }
        return ok;
    });

    /// <summary>`name X`, X a number in [min, max).</summary>
    public OptionParser Number(string name, double min, double max, Action<double> set) =>
        Valued(name, $"a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)})", text =>
        {
            bool ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value < max;
            if (ok)
            {
                set(value);
            }
            return ok;
        });

    /// <summary>`name choice`, one of <paramref name="choices"/>.</summary>
    public OptionParser Choice(string name, IReadOnlyCollection<string> choices, Action<string> set) =>
        Valued(name, $"one of {string.Join(", ", choices)}", text =>
        {
            bool ok = choices.Contains(text);
            if (ok)
            {
                set(text);
            }
            return ok;
        });

    /// <summary>`name path`: any text that does not start with "--".</summary>
    public OptionParser Text(string name, Action<string> set) => Valued(name, "a value", text =>
    {
        set(text);
        return true;
    });

    /// <summary>`name` alone.</summary>
    public OptionParser Flag(string name, Action set)
    {
        _flags.Add(name, set);
        return this;
    }

    /// <summary>
    /// Applies <paramref name="args"/> in order; on the first bad one, prints e.g. "lstm: --batch needs a positive integer,
    /// not 'x'" or "lstm: unknown option --bach (options: ...)" to standard error and returns false.
    /// </summary>
    public bool TryParse(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (_flags.TryGetValue(name, out var flag))
            {
                flag();
            }
            else if (_valued.TryGetValue(name, out var option))
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return Fail($"{name} needs {option.Takes}");
                }
                string text = args[++i];
                if (!option.TrySet(text))
                {
                    return Fail($"{name} needs {option.Takes}, not '{text}'");
                }
            }
            else
            {
                return Fail($"unknown option {name} (options: {string.Join(", ", _valued.Keys.Concat(_flags.Keys).Order())})");
            }
        }
        return true;
    }

    private OptionParser Valued(string name, string takes, Func<string, bool> trySet)
    {
        _valued.Add(name, (takes, trySet));
        return this;
    }

    private bool Fail(string message)
    {
        Console.Error.WriteLine($"{command}: {message}");
        return false;
    }
}
