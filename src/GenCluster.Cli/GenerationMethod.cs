using System.CommandLine;
using System.Text.Json.Nodes;
using GenCluster.Decoding;
using GenCluster.Models;
using GenCluster.Sampling;

namespace GenCluster.Cli;

/// <summary>
/// A decoding strategy behind <c>generate --method NAME</c> (beam, cot, json, ...): its own flags, and how it runs
/// and prints. Sampling methods (greedy, top_k, ...) need none; they run as <see cref="SampledGeneration"/>.
/// </summary>
internal interface IGenerationMethod
{
    /// <summary>The --method value.</summary>
    string Name { get; }

    /// <summary>Flags only this method reads (added to the generate command).</summary>
    IEnumerable<Option> Options { get; }

    /// <summary>Runs the generation and prints it; returns the exit code.</summary>
    Task<int> RunAsync(GenerationContext context, CancellationToken cancellation);
}

/// <summary>
/// Everything `generate` resolved before a method runs: model (its folder, and the load options, --dtype, --device and the fast
/// path, that further models of the run, such as a draft, load with), prompt, EOS ids, sampling params and output choice.
/// </summary>
internal sealed record GenerationContext(
    string ModelDir, LoadedModel Loaded, LoadOptions LoadOptions, PromptText? Text, IReadOnlyList<long> Prompt, IReadOnlyList<long> EosTokenIds, SamplingParams Sampling,
    ContextOverflow Overflow, bool UseKvCache, bool Json, TextWriter Stdout, TextWriter Stderr, ParseResult Parsed)
{
    /// <summary>A detokenizer for one sequence; without a tokenizer, the ids themselves separated by spaces.</summary>
    public ITextStream NewTextStream() => Text?.NewStream() ?? new TokenIdText();

    /// <summary>The text of generated ids (ids joined by spaces without a tokenizer).</summary>
    public string Decode(IEnumerable<long> ids)
    {
        var stream = NewTextStream();
        return string.Concat(ids.Select(stream.Push)) + stream.Flush();
    }

    /// <summary>Token ids as a JSON array.</summary>
    public static JsonArray Ids(IEnumerable<long> ids) => new(ids.Select(id => (JsonNode)id).ToArray());

    /// <summary>Writes the JSON result with the fields every method shares: prompt ids and stats.</summary>
    public Task WriteJsonAsync(JsonObject root, GenerationStats stats)
    {
        root["prompt_token_ids"] = Ids(Prompt);
        root["stats"] = GenerationWriter.StatsJson(stats);
        return Stdout.WriteLineAsync(root.ToJsonString());
    }

    /// <summary>Ends text output with the summary line on stderr.</summary>
    public async Task WriteSummaryAsync(GenerationStats stats, string finish)
    {
        await Stdout.WriteLineAsync();
        await Stderr.WriteLineAsync(GenerationWriter.StatsLine(stats, finish));
    }
}

/// <summary>Text of token ids for models without a tokenizer: "12 7 401".</summary>
internal sealed class TokenIdText : ITextStream
{
    bool _first = true;

    public string Push(long tokenId)
    {
        var text = (_first ? "" : " ") + tokenId;
        _first = false;
        return text;
    }

    public string Flush() => "";
}
