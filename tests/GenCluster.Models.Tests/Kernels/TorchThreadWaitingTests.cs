using System.Runtime.InteropServices;
using GenCluster.Models.Kernels;

namespace GenCluster.Models.Tests.Kernels;

/// <summary>The OpenMP wait policy reaches the C environment libgomp reads (not only .NET's copy of it).</summary>
public partial class TorchThreadWaitingTests
{
    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnvironment(string name);

    [Fact]
    public void PassiveWaitingIsSetInTheCEnvironmentUnlessTheUserChose()
    {
        if (!OperatingSystem.IsLinux()) return;
        var chosen = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        TorchThreadWaiting.PreferPassive();
        var value = Marshal.PtrToStringUTF8(GetEnvironment("OMP_WAIT_POLICY"));
        Assert.Equal(chosen ?? "PASSIVE", value);
    }
}
