namespace Neurite.Tests.Onnx;

/// <summary>ONNX's own backend test data (ONNX 1.12) from Debian's libonnx-testdata, which test.sh installs.</summary>
internal static class OnnxTestData
{
    /// <summary>The data folder: node/, pytorch-converted/, pytorch-operator/, simple/.</summary>
    public static string Root
    {
        get
        {
            const string root = "/usr/share/libonnx-testdata/data";
            Assert.True(Directory.Exists(root), $"{root} is missing; install ONNX's test data with `apt-get install -y libonnx-testdata` (test.sh does).");
            return root;
        }
    }
}
