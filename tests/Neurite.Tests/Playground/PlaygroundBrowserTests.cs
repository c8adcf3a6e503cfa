using Microsoft.Playwright;

namespace Neurite.Tests.Playground;

public class PlaygroundBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ThePageLoadsWithNoConsoleErrors()
    {
        var (page, errors) = await browser.NewPageAsync();
        await BrowserFixture.ScreenshotAsync(page, "loaded");
        Assert.Empty(errors);
        Assert.Equal("connected", await page.TextContentAsync("#connection"));
        Assert.Equal(2, await page.Locator(".node.feature:not(.inactive)").CountAsync());
        Assert.Equal(7, await page.Locator(".node.feature").CountAsync());
        Assert.Equal(4 + 2 + 1, await page.Locator(".node:not(.feature)").CountAsync()); // hidden [4, 2] and the output
        Assert.Equal((2 * 4) + (4 * 2) + 2, await page.Locator("path.link").CountAsync());
        await page.Context.CloseAsync();
    }
}
