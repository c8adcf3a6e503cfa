using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Tests;

/// <summary>The README's example, line for line, with what its comments promise.</summary>
public class ReadmeTests
{
    [Fact]
    public void The_readme_example_computes_what_it_says()
    {
        var x = Tensor.From([[2f, 1f]]);
        var w1 = Tensor.From([[1f, -2f], [0f, 3f]], requiresGrad: true);
        var b1 = Tensor.From([-1f, 2f], requiresGrad: true);
        var w2 = Tensor.From([[2f, -1f]], requiresGrad: true);
        var b2 = Tensor.From([0.5f], requiresGrad: true);

        var z1 = Ops.Linear(x, w1, b1);
        var y = Ops.Linear(Ops.Relu(z1), w2, b2);
        y.Backward();

        Assert.Equal([-1f, 5f], z1.ToArray());
        Assert.Equal(-4.5f, y.Item());
        Assert.Equal("tensor([[0., 5.]])", w2.Grad!.ToString());
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Assert.Contains("Console.WriteLine(w2.Grad);                 // tensor([[0., 5.]])", readme);
    }

    [Fact]
    public void The_readme_names_the_gates_the_perceptron_example_prints()
    {
        var output = new StringWriter();
        Neurite.Examples.PerceptronGates.Run(output);
        var printed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]).Order().ToArray();
        string row = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md")).Single(line => line.StartsWith("| `perceptron` |", StringComparison.Ordinal));
        var named = System.Text.RegularExpressions.Regex.Matches(row, @"\b(AND|OR|NAND|NOR|XOR|NOT)\b").Select(m => m.Value).Order().ToArray();
        Assert.Equal(printed, named);
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Neurite.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Neurite.slnx not found above the test binaries.");
    }
}
