using System.Globalization;
using Neurite.Models;
using Neurite.Tensors;

namespace Neurite.Examples;

/// <summary>Seed 001: the perceptron learns AND, OR and NOT, and cannot learn XOR.</summary>
public static class PerceptronGates
{
    public static void Run(TextWriter output)
    {
        var inputs = Tensor.From([[0f, 0f], [0f, 1f], [1f, 0f], [1f, 1f]]);
        (string Name, int[] Labels)[] gates = [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0])];
        foreach (var (name, labels) in gates)
        {
            var perceptron = new Perceptron(2);
            var result = perceptron.Train(inputs, labels, maxEpochs: 100);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-4} w = [{perceptron.Weights[0]}, {perceptron.Weights[1]}], b = {perceptron.Bias}: {result.Summary}"));
        }
        var not = new Perceptron(1);
        var notResult = not.Train(Tensor.From([[0f], [1f]]), [1, 0]);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"NOT  w = [{not.Weights[0]}], b = {not.Bias}: {notResult.Summary}"));
    }
}
