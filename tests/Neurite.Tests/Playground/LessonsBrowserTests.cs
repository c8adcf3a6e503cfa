namespace Neurite.Tests.Playground;

/// <summary>The lessons: sigmoid with cross-entropy against tanh with the squared loss, universal approximation with a seed, the ReLU triangle, pasted weights.</summary>
public class LessonsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>δ of the output for a confidently wrong point: the output bias pushed to +8, the label −1.</summary>
    private static async Task<double> ConfidentMistakeDeltaAsync(Microsoft.Playwright.IPage page)
    {
        int outputLayer = await page.EvaluateAsync<int>("() => window.playground.config.hidden.length");
        await page.EvaluateAsync($"() => window.playground.socket.send(JSON.stringify({{ type: 'setWeight', layer: {outputLayer}, to: 0, from: -1, value: 8 }}))");
        await page.WaitForFunctionAsync($"() => window.playground.snapshot.biases[{outputLayer}][0] === 8");
        await page.EvaluateAsync("() => { window.playground.lastTrace = null; }");
        await page.FillAsync("#trace-x1", "0.5");
        await page.FillAsync("#trace-x2", "0.5");
        await page.FillAsync("#trace-target", "-1");
        await page.ClickAsync("#trace-start");
        await page.WaitForFunctionAsync("() => window.playground.lastTrace !== null");
        return await page.EvaluateAsync<double>("() => Math.abs(window.playground.lastTrace.delta.at(-1)[0])");
    }

    [Fact]
    public async Task Cross_entropy_is_the_default_and_learns_from_a_confident_mistake_where_tanh_with_mse_stalls()
    {
        var (page, errors) = await browser.NewPageAsync();
        Assert.Equal("cross_entropy", await page.InputValueAsync("#loss"));
        Assert.Equal("output (sigmoid)", await page.Locator(".layer-title").Last.TextContentAsync());
        Assert.Equal("0", await page.TextContentAsync("#legend .neg"));
        double crossEntropy = await ConfidentMistakeDeltaAsync(page);
        Assert.Contains("t log p", await page.TextContentAsync("#step-caption") + await StepToLossAsync(page));

        await page.SelectOptionAsync("#loss", "mse");
        await page.WaitForFunctionAsync("() => window.playground.config.loss === 'mse'");
        Assert.Equal("output (tanh)", await page.Locator(".layer-title").Last.TextContentAsync());
        Assert.Equal("−1", await page.TextContentAsync("#legend .neg"));
        Assert.Contains("loss=mse", page.Url);
        double squared = await ConfidentMistakeDeltaAsync(page);
        // Cross-entropy: δ = p − t ≈ 1. Tanh with the squared loss: δ = 2(y − t)(1 − y²) ≈ 0 where tanh saturates.
        Assert.True(crossEntropy > 0.99, $"cross-entropy δ {crossEntropy}");
        Assert.True(squared < crossEntropy / 1000, $"squared loss δ {squared}, cross-entropy δ {crossEntropy}");
        Assert.True(await page.IsHiddenAsync("#loss-control") == false);
        await page.SelectOptionAsync("#problem", "regression");
        await page.WaitForFunctionAsync("() => window.playground.config.problem === 'regression'");
        Assert.True(await page.IsHiddenAsync("#loss-control"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    /// <summary>Steps the stepper to its loss step and returns the caption there.</summary>
    private static async Task<string> StepToLossAsync(Microsoft.Playwright.IPage page)
    {
        int layers = await page.EvaluateAsync<int>("() => window.playground.config.hidden.length + 1");
        for (int i = 0; i <= layers; i++)
        {
            await page.ClickAsync("#step-one");
        }
        return await page.TextContentAsync("#step-caption") ?? "";
    }

    [Fact]
    public async Task Universal_approximation_fits_sin_2x_on_its_defaults_and_re_rolls()
    {
        var (page, errors) = await browser.NewPageAsync();
        Assert.Equal("12", await page.InputValueAsync("#approx-units"));
        await page.ClickAsync("#approx-run");
        await page.WaitForFunctionAsync("() => document.getElementById('approx-info').textContent.startsWith('epoch 1000')", null, new() { Timeout = 30000 });
        string first = await page.TextContentAsync("#approx-info") ?? "";
        double loss = double.Parse(System.Text.RegularExpressions.Regex.Match(first, @"loss ([\d.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(loss < 0.02, first);
        await page.ClickAsync("#approx-reroll");
        Assert.Equal("2", await page.InputValueAsync("#approx-seed"));
        await page.WaitForFunctionAsync($"() => document.getElementById('approx-info').textContent.startsWith('epoch 1000') && document.getElementById('approx-info').textContent !== {System.Text.Json.JsonSerializer.Serialize(first)}", null, new() { Timeout = 30000 });
        await page.Locator("#approx-chart").ScrollIntoViewIfNeededAsync();
        await BrowserFixture.ScreenshotAsync(page, "lesson-approximation");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_relu_triangle_preset_and_pasted_weights_set_the_whole_network()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#preset-triangle");
        await page.WaitForFunctionAsync("() => window.playground?.snapshot && JSON.stringify(window.playground.snapshot.weights[1]) === '[[1,-2,1]]'");
        Assert.Equal("[0,-1,-2]", await page.EvaluateAsync<string>("() => JSON.stringify(window.playground.snapshot.biases[0])"));
        Assert.DoesNotContain("weights=", page.Url); // set once; training moves on from there
        await BrowserFixture.ScreenshotAsync(page, "lesson-relu-triangle");

        // The current weights as text, edited and imported back.
        await page.ClickAsync("#weights-box summary");
        await page.ClickAsync("#weights-copy");
        string text = await page.InputValueAsync("#weights-text");
        Assert.Contains("\"W\":[[1,-2,1]]", text);
        await page.FillAsync("#weights-text", text.Replace("[[1,-2,1]]", "[[0.5,-1,0.5]]"));
        await page.ClickAsync("#weights-import");
        await page.WaitForFunctionAsync("() => JSON.stringify(window.playground.snapshot.weights[1]) === '[[0.5,-1,0.5]]'");
        await page.FillAsync("#weights-text", "[{\"W\": [[1]]");
        await page.ClickAsync("#weights-import");
        Assert.StartsWith("weights: not JSON", await page.TextContentAsync("#error-text"));
        await page.FillAsync("#weights-text", "[{\"W\": [[1]], \"b\": [0]}]");
        await page.ClickAsync("#weights-import");
        await page.WaitForFunctionAsync("() => document.getElementById('error-text').textContent.startsWith('setWeights: the network has 2 layers')");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Seed_002s_second_example_is_one_click_and_the_stepper_shows_its_numbers()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#preset-seed002");
        await page.WaitForSelectorAsync("#stepper-controls:not([hidden])");
        Assert.Equal("1.00", await page.InputValueAsync("#trace-x1"));
        Assert.Equal("2.00", await page.InputValueAsync("#trace-x2"));
        // z⁽¹⁾ = W⁽¹⁾x + b⁽¹⁾ = (0.1, 0.8, 0.7); all positive, so h = z; ŷ = 0.07 − 0.24 + 0.35 + 0.1 = 0.28.
        await page.ClickAsync("#step-one");
        Assert.Equal("z=0.100\na=0.100", await page.TextContentAsync("#neuron-1-0 .value"));
        Assert.Equal("z=0.800\na=0.800", await page.TextContentAsync("#neuron-1-1 .value"));
        Assert.Equal("z=0.700\na=0.700", await page.TextContentAsync("#neuron-1-2 .value"));
        await page.ClickAsync("#step-one");
        Assert.Equal("z=0.280\na=0.280", await page.TextContentAsync("#neuron-2-0 .value"));
        await BrowserFixture.ScreenshotAsync(page, "lesson-seed002-example2");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
