using System.Globalization;
using Neurite.Cli;

namespace Neurite.Tests.Playground;

/// <summary>The HTML training report in Chromium: gridlines and tick values, a log-scale loss, a constant learning rate said in words, the decision boundary for 2-D data.</summary>
public sealed class ReportBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Train(string name, string schedule)
    {
        string spec = Path.Combine(_directory, name + ".json");
        File.WriteAllText(spec, $$$"""
            {"input": [2], "layers": [{"type": "linear", "out": 16}, {"type": "relu"}, {"type": "linear", "out": 3}],
             "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, {{{schedule}}} "batch_size": 32, "epochs": 12, "seed": 2,
             "data": {"source": "blobs:n=300,classes=3,test=100"}}
            """);
        var error = new StringWriter();
        Assert.True(NeuriteCommandLine.Run(["train", spec, "--out", Path.Combine(_directory, name + ".safetensors")], TextWriter.Null, error) == 0, error.ToString());
        return Path.Combine(_directory, name + ".report.html");
    }

    [Fact]
    public async Task The_report_has_axes_a_log_loss_option_the_constant_rate_in_words_and_the_decision_boundary()
    {
        string report = Train("blobs", "");
        var page = await (await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1000, Height = 900 } })).NewPageAsync();
        await page.GotoAsync(new Uri(report).AbsoluteUri);
        Assert.True(await page.Locator("svg[aria-label='loss'] line.grid").CountAsync() >= 6);
        var ticks = await page.Locator("svg[aria-label='loss'] text.tick").AllTextContentsAsync();
        Assert.Contains("12", ticks); // the last epoch
        Assert.True(await page.IsVisibleAsync("svg[aria-label='loss']"));
        Assert.False(await page.IsVisibleAsync("svg[aria-label='loss (log scale)']"));
        await page.CheckAsync("#loss-log");
        Assert.True(await page.IsVisibleAsync("svg[aria-label='loss (log scale)']"));
        Assert.False(await page.IsVisibleAsync("svg[aria-label='loss']"));
        Assert.Equal("Constant: 0.01 every epoch.", await page.Locator("h2:text('Learning rate') + p").TextContentAsync());
        Assert.Equal(100, await page.Locator("svg[aria-label='decision boundary'] circle").CountAsync()); // the held-out points
        Assert.True(await page.Locator("svg[aria-label='decision boundary'] text.tick").CountAsync() >= 6);
        await page.Locator("svg[aria-label='decision boundary']").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ArtifactDirectory, "report.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_scheduled_learning_rate_is_drawn_on_an_axis_of_its_own_values()
    {
        string report = Train("scheduled", "\"schedule\": {\"type\": \"step\", \"step_size\": 4, \"gamma\": 0.5},");
        var page = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(new Uri(report).AbsoluteUri);
        var labels = await page.Locator("svg[aria-label='learning rate'] text.tick").AllTextContentsAsync();
        var values = labels.Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN).Where(double.IsFinite).ToArray();
        // Epoch ticks are 1 … 12; the rate's ticks lie within 0.0025 … 0.01 (no range made up around one value).
        var rates = values.Where(v => v < 1).ToArray();
        Assert.NotEmpty(rates);
        Assert.All(rates, r => Assert.InRange(r, 0.0025 - 1e-9, 0.01 + 1e-9));
        await page.Context.CloseAsync();
    }
}
