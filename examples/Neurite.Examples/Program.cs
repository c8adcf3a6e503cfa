using Neurite.Examples;

// The seeds' demonstrations, one command each:  dotnet run --project examples/Neurite.Examples -- NAME
var examples = new Dictionary<string, Action<TextWriter>>
{
    ["perceptron"] = PerceptronGates.Run,
    ["logistic-regression"] = LogisticRegression.Run,
    ["xor"] = XorNetwork.Run,
    ["universal-approximation"] = UniversalApproximation.Run,
    ["vanishing-gradients"] = VanishingGradients.Run,
};

if (args.Length != 1 || !examples.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Neurite.Examples {string.Join(" | ", examples.Keys)}");
    return 2;
}
run(Console.Out);
return 0;
