namespace Neurite.Tests.Playground;

/// <summary>
/// Any number of inputs on the page: seed 002's example 1 (three inputs) and example 2, each pasted once, stepped
/// through layer by layer; a table of samples; a bad paste's message.
/// </summary>
public class AnyInputsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Seed_002_example_1_is_one_paste_with_three_inputs()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.FillAsync("#any-text", PastedNetworkTests.Example1);
        await page.ClickAsync("#any-run");
        await page.WaitForFunctionAsync("() => window.playground.anyInputs.pass !== null");
        Assert.Equal(3, await page.Locator("#any-diagram circle.input").CountAsync());
        Assert.Equal("1 / 2", await page.TextContentAsync("#any-index"));
        Assert.Contains("x = (2, 3, -1), 3 of them", await page.TextContentAsync("#any-caption"));
        await page.ClickAsync("#any-step");
        string caption = (await page.TextContentAsync("#any-caption"))!;
        Assert.Contains("z₁ = (0.5)(2) + (-0.2)(3) + (0.8)(-1) + 0.1 = -0.300", caption);
        Assert.Contains("ŷ = relu(-0.300) = 0.000", caption);
        // The links carry wᵢxᵢ: 1, −0.6, −0.8.
        var labels = await page.Locator(".any-link-label").AllTextContentsAsync();
        Assert.Equal(["1.000", "-0.600", "-0.800"], labels);
        Assert.Contains("a=0.000", await page.TextContentAsync("#any-diagram"));
        await page.Locator(".any-inputs").ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ArtifactDirectory, "any-inputs-example-1.png") });
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Example_2_steps_to_0_28_and_a_table_of_samples_picks_its_row()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.FillAsync("#any-text", PastedNetworkTests.Example2);
        await page.ClickAsync("#any-run");
        await page.WaitForFunctionAsync("() => window.playground.anyInputs.pass !== null");
        await page.ClickAsync("#any-step");
        string hidden = (await page.TextContentAsync("#any-caption"))!;
        Assert.Contains("h₁ = relu(0.100) = 0.100", hidden);
        Assert.Contains("h₂ = relu(0.800) = 0.800", hidden);
        Assert.Contains("h₃ = relu(0.700) = 0.700", hidden);
        await page.ClickAsync("#any-step");
        Assert.Contains("z₁ = (0.7)(0.1) + (-0.3)(0.8) + (0.5)(0.7) + 0.1 = 0.280;  ŷ = z = 0.280", await page.TextContentAsync("#any-caption"));
        Assert.Equal("3 / 3", await page.TextContentAsync("#any-index"));
        await page.Locator(".any-inputs").ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ArtifactDirectory, "any-inputs-example-2.png") });

        // The same network on a table of two samples: the second row's output.
        await page.FillAsync("#any-text", PastedNetworkTests.Example2.Replace("x = 1, 2", "x = 1, 2; 0, 0"));
        await page.ClickAsync("#any-run");
        await page.WaitForFunctionAsync("() => window.playground.anyInputs.pass.samples.length === 2");
        await page.SelectOptionAsync("#any-sample", "1");
        await page.ClickAsync("#any-last");
        // x = 0: h = relu(b1) = (0.1, 0, 0), ŷ = 0.07 + 0.1.
        Assert.Contains("ŷ = z = 0.170", await page.TextContentAsync("#any-caption"));

        await page.FillAsync("#any-text", "x = 1, 2, 3\nW1 = 1, 2");
        await page.ClickAsync("#any-run");
        await page.WaitForSelectorAsync("#any-error:not([hidden])");
        Assert.Equal("W1: each row needs 3 weights (x has 3 inputs); got 2", await page.TextContentAsync("#any-error"));
        // The refused paste is the page's own 400 (which Chromium also logs): nothing else went wrong.
        Assert.All(errors, e => Assert.Contains("400", e));
        Assert.Contains("400 " + browser.Server.Url + "api/forward", errors);
        await page.Context.CloseAsync();
    }
}
