using Neurite.Cli.Commands;

namespace Neurite.Tests.Cli;

public class XorCommandTests
{
    [Fact]
    public void The_main_job_learns_xor_and_prints_the_falling_loss_and_four_predictions()
    {
        var output = new StringWriter();
        var result = XorCommand.Run(new XorCommand.Options(), output);

        float[] targets = [0, 1, 1, 0];
        for (int i = 0; i < targets.Length; i++)
        {
            Assert.True(Math.Abs(result.Predictions[i] - targets[i]) < 0.1f, $"prediction {i}: {result.Predictions[i]}");
        }
        var losses = output.ToString().Split('\n')
            .Where(line => line.StartsWith("epoch", StringComparison.Ordinal))
            .Select(line => float.Parse(line[(line.IndexOf("loss", StringComparison.Ordinal) + 4)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.True(losses.Length >= 5);
        Assert.True(losses[^1] < losses[0] / 10, $"loss went from {losses[0]} to {losses[^1]}");
        Assert.Equal(4, output.ToString().Split('\n').Count(line => line.Contains("predicted", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(7UL)]
    public void A_seed_that_ends_in_a_poor_local_minimum_is_named_as_such(ulong seed)
    {
        var output = new StringWriter();
        var result = XorCommand.Run(new XorCommand.Options(Seed: seed), output);
        Assert.True(result.Stuck);
        Assert.Contains(result.Predictions, p => Math.Abs(p - 0.5f) < 0.05f);
        string last = output.ToString().TrimEnd().Split('\n')[^1];
        Assert.StartsWith("The network is stuck: ", last);
        Assert.Contains("poor local minimum", last);

        var learned = new StringWriter();
        Assert.False(XorCommand.Run(new XorCommand.Options(), learned).Stuck);
        Assert.DoesNotContain("stuck", learned.ToString());
    }
}
