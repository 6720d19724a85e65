using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GenCluster.Grains.Tests;

/// <summary>A real redis-server on a free loopback port, without persistence, stopped on dispose.</summary>
public sealed class RedisServer : IDisposable
{
    readonly Process _process;

    RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>StackExchange.Redis connection string.</summary>
    public string Connection => $"127.0.0.1:{Port}";

    /// <summary>The redis-server binary, or null when it is not installed (.ci/apt-packages installs it).</summary>
    public static string? Binary => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a server and waits until it accepts connections.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var binary = Binary ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server)");
        int port = FreePort();
        var start = new ProcessStartInfo(binary, ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return new RedisServer(process, port);
            }
            catch (SocketException) { await Task.Delay(50); }
        }
        process.Kill();
        throw new TimeoutException($"redis-server did not listen on port {port} within 5 s");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the server.</summary>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
