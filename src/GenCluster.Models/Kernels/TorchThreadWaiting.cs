using System.Runtime.InteropServices;

namespace GenCluster.Models.Kernels;

/// <summary>
/// Asks libtorch's OpenMP runtime (libgomp) to put its idle threads to sleep at once instead of spinning
/// (OMP_WAIT_POLICY=PASSIVE), unless the environment already chooses. Decoding interleaves small torch ops (the
/// sampler, the processors) with the worker pool's kernels; spinning OpenMP threads after each op took the cores
/// from the pool, and on a busy machine a decode step waited milliseconds for a descheduled thread (measured:
/// autoregressive decoding of models/default ~10x slower without it at load 15 on 2 cores; see Kernels/README.md).
/// libgomp reads the variable once, when libtorch loads, and from the C environment: .NET's
/// Environment.SetEnvironmentVariable does not reach it on Unix, so this calls libc's setenv.
/// </summary>
internal static partial class TorchThreadWaiting
{
    const string Variable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE in the C environment when unset (call before the first torch op; afterwards it
    /// has no effect); returns whether it did.
    /// </summary>
    public static bool PreferPassive()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null) return false;
        return SetEnvironment(Variable, "PASSIVE", 0) == 0;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
