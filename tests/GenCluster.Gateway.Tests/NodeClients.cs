using System.Diagnostics;
using GenCluster.TestSupport;

namespace GenCluster.Gateway.Tests;

/// <summary>
/// Runs the third-party client scripts in NodeClients/ under Node.js, installing their npm packages from
/// package-lock.json on first use (the npm registry is reachable from this machine and from CI).
/// </summary>
public static class NodeClients
{
    /// <summary>The scripts' folder.</summary>
    public static readonly string Dir = Path.Combine(Fixtures.RepoRoot, "tests", "GenCluster.Gateway.Tests", "NodeClients");

    static readonly SemaphoreSlim Install = new(1, 1);

    /// <summary>Runs <c>node script args</c> and returns what it printed; throws with its stderr when it fails.</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        await Install.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(Dir, "node_modules", ".package-lock.json")))
                await ProcessAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
        }
        finally { Install.Release(); }
        return await ProcessAsync("node", [script, .. args], TimeSpan.FromMinutes(2));
    }

    static async Task<string> ProcessAsync(string program, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}: {await stderr}");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }
}
