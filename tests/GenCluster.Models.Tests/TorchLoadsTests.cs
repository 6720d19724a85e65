using TorchSharp;

namespace GenCluster.Models.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void TorchSharpNativeLibraryLoadsAndComputes()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3 });
        using var b = a.matmul(a);
        Assert.Equal(14f, b.item<float>());
    }
}
