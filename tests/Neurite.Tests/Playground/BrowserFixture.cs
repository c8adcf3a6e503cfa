using Microsoft.Playwright;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>
/// A Playground server on a free loopback port and headless Debian Chromium driven by Playwright
/// (no browser download), shared by the browser tests of one class.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; test.sh installs it when missing.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;

    public PlaygroundHandle Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: artifacts/playground at the repository root.</summary>
    public static string ArtifactDirectory { get; } = FindArtifactDirectory();

    private static string FindArtifactDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Neurite.slnx")))
        {
            dir = dir.Parent;
        }
        string path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "playground");
        Directory.CreateDirectory(path);
        return path;
    }

    public async Task InitializeAsync()
    {
        Server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
    }

    /// <summary>A fresh page (its own context) with its console errors and page errors collected; <paramref name="server"/> defaults to the fixture's.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewPageAsync(string query = "", PlaygroundHandle? server = null)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                errors.Add($"{response.Status} {response.Url}");
            }
        };
        await page.GotoAsync((server ?? Server).Url + query);
        await WaitForSnapshotAsync(page);
        return (page, errors);
    }

    /// <summary>Waits until the page has drawn a snapshot from the server.</summary>
    public static Task WaitForSnapshotAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.playground && window.playground.snapshot !== null", null, new() { Timeout = 20000 });

    /// <summary>Saves a screenshot of the whole page as a test artifact.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
