using Neurite.Serialization;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Serialization;

/// <summary>The README's way from torch into Neurite: a state_dict saved by its few lines of plain Python.</summary>
public class InteropTests
{
    [Fact]
    public void A_state_dict_saved_by_the_readme_function_loads_and_computes_what_torch_computed()
    {
        // tests/reference/gen_interop.py: save_safetensors(net.state_dict(), …) of Linear, BatchNorm1d, ReLU, Linear.
        var fixture = Fixture.Load("torch_interop.json");
        var model = ModelSpec.Parse(fixture.GetProperty("spec").GetRawText()).Build();
        ModelFile.LoadWeights(Path.Combine(AppContext.BaseDirectory, "reference", "torch_interop.safetensors"), model);

        var output = model.Eval().Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, "torch_interop output");
    }

    [Fact]
    public void The_readme_shows_the_functions_the_fixture_was_written_with()
    {
        string script = File.ReadAllText(Path.Combine(ReadmeTests.RepositoryRoot(), "tests", "reference", "gen_interop.py"));
        int begin = script.IndexOf("# README: begin\n", StringComparison.Ordinal) + "# README: begin\n".Length;
        int end = script.IndexOf("# README: end", StringComparison.Ordinal);
        string functions = script[begin..end];
        string readme = File.ReadAllText(Path.Combine(ReadmeTests.RepositoryRoot(), "README.md"));
        Assert.Contains("```python\n" + functions + "```", readme);
    }
}
