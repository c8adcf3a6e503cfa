namespace Neurite.Tests.Playground;

public class LabBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task TheLessonsDrawWhatTheEngineComputes()
    {
        var (page, errors) = await browser.NewPageAsync();

        // Activation explorer: the facts follow the chosen activation.
        await page.WaitForFunctionAsync("() => document.getElementById('activation-facts').textContent.includes('(0, 1)')"); // sigmoid first
        await page.SelectOptionAsync("#explore-activation", "relu");
        Assert.StartsWith("relu: range [0, ∞); saturated", await page.TextContentAsync("#activation-facts"));
        await page.SelectOptionAsync("#explore-activation", "tanh");
        Assert.StartsWith("tanh: range (−1, 1)", await page.TextContentAsync("#activation-facts"));
        string alone = await page.EvaluateAsync<string>("() => document.getElementById('activation-chart').toDataURL()");
        await page.SelectOptionAsync("#compare-activation", "sigmoid");
        Assert.Contains("Compared: sigmoid: range (0, 1)", await page.TextContentAsync("#activation-facts"));
        Assert.NotEqual(alone, await page.EvaluateAsync<string>("() => document.getElementById('activation-chart').toDataURL()"));

        // Perceptron: AND converges, XOR keeps making mistakes.
        await page.FillAsync("#perceptron-epochs", "6");
        await page.ClickAsync("#perceptron-run");
        await page.WaitForFunctionAsync("() => document.getElementById('perceptron-summary').textContent !== ''", null, new() { Timeout = 10000 });
        Assert.StartsWith("converged after", await page.TextContentAsync("#perceptron-summary"));
        Assert.EndsWith(", 0 mistakes", await page.TextContentAsync("#perceptron-epoch"));
        await page.SelectOptionAsync("#perceptron-gate", "xor");
        await page.ClickAsync("#perceptron-run");
        await page.WaitForFunctionAsync("() => document.getElementById('perceptron-summary').textContent !== ''", null, new() { Timeout = 10000 });
        Assert.Contains("not linearly separable", await page.TextContentAsync("#perceptron-summary"));
        Assert.StartsWith("epoch 6:", await page.TextContentAsync("#perceptron-epoch"));

        // Universal approximation: the fit and its hinges; the slider goes back in training.
        await page.FillAsync("#approx-units", "6");
        await page.FillAsync("#approx-epochs", "500");
        await page.ClickAsync("#approx-run");
        await page.WaitForFunctionAsync("() => document.getElementById('approx-info').textContent.startsWith('epoch 500')", null, new() { Timeout = 20000 });
        Assert.EndsWith("6 ReLU hinges (dashed)", await page.TextContentAsync("#approx-info"));
        await page.FillAsync("#approx-frame", "0");
        Assert.StartsWith("epoch 0:", await page.TextContentAsync("#approx-info"));
        await BrowserFixture.ScreenshotAsync(page, "lessons");

        // A refused parameter shows the server's message.
        await page.FillAsync("#approx-units", "100");
        await page.ClickAsync("#approx-run");
        await page.WaitForSelectorAsync("#error:not([hidden])");
        Assert.Equal("units: must be from 1 to 32; got 100", await page.TextContentAsync("#error-text"));
        Assert.All(errors, e => Assert.Contains("400", e)); // only the refused request, which the browser logs
        await page.Context.CloseAsync();
    }
}
