using System.Globalization;
using Neurite.Cli;

const string Usage = """
    Usage: neurite xor [--epochs N] [--lr X] [--seed N]

    Commands:
      xor    train a 2-2-1 network on XOR and print the loss and the four predictions
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 1 : 0;
}
if (args[0] != "xor")
{
    Console.Error.WriteLine($"neurite: unknown command '{args[0]}'. Run 'neurite --help' for the commands.");
    return 2;
}

var options = new XorCommand.Options();
for (int i = 1; i < args.Length; i++)
{
    string flag = args[i];
    if (flag is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }
    if (i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"neurite xor: option '{flag}' needs a value.");
        return 2;
    }
    string value = args[++i];
    if (flag == "--epochs" && int.TryParse(value, CultureInfo.InvariantCulture, out int epochs) && epochs > 0)
    {
        options = options with { Epochs = epochs };
    }
    else if (flag == "--lr" && float.TryParse(value, CultureInfo.InvariantCulture, out float lr) && float.IsFinite(lr) && lr > 0)
    {
        options = options with { LearningRate = lr };
    }
    else if (flag == "--seed" && ulong.TryParse(value, CultureInfo.InvariantCulture, out ulong seed))
    {
        options = options with { Seed = seed };
    }
    else
    {
        Console.Error.WriteLine($"neurite xor: invalid option '{flag} {value}' (--epochs: integer > 0, --lr: number > 0, --seed: integer >= 0).");
        return 2;
    }
}
XorCommand.Run(options, Console.Out);
return 0;
