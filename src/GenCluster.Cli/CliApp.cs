using System.CommandLine;
using GenCluster.Decoding;
using GenCluster.Decoding.Json;
using GenCluster.Models;
using GenCluster.Models.ChatTemplates;
using GenCluster.Models.Text;
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
            ServeCommand.Create(stdout, stderr),
            TextCommands.Tokenize(stdout),
            TextCommands.Template(stdout),
            TrainCommands.Create(stdout, stderr),
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
        catch (Exception e) when (e is UsageException or SamplingParamsException or ContextOverflowException or ArgumentException or FormatException
            or InvalidSchemaException or UnsupportedSchemaException or System.Text.Json.JsonException or Decoding.Speculative.VocabularyMismatchException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (TemplateRaisedException e)
        {
            // The template's own raise_exception message, as transformers reports it.
            await stderr.WriteLineAsync(e.Message);
            return 1;
        }
        catch (Exception e) when (e is ModelLoadException or ChatTemplateException or TokenizerFormatException or GenCluster.Models.Hub.HubException or HttpRequestException
            or JsonDeadEndException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
