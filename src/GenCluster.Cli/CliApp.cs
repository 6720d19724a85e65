using System.CommandLine;
using GenCluster.Decoding;
using GenCluster.Models;
using GenCluster.Sampling;

namespace GenCluster.Cli;

/// <summary>The `gencluster` command: exit code 0 on success, 1 when the work failed, 2 for bad flags or input.</summary>
public static class CliApp
{
    /// <summary>Parses and runs a command line, writing to the given streams.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var root = new RootCommand("GenCluster: LLM text generation on TorchSharp and Orleans")
        {
            GenerateCommand.Create(stdout, stderr),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await stderr.WriteLineAsync($"error: {error.Message}");
            await stderr.WriteLineAsync("run with --help for usage");
            return 2;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellation);
        }
        catch (Exception e) when (e is UsageException or SamplingParamsException or ContextOverflowException or ArgumentException or FormatException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (ModelLoadException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
