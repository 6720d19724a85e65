using System.Text.Json;
using System.Text.Json.Nodes;
using GenCluster.Decoding;

namespace GenCluster.Cli;

/// <summary>Prints a generation: streamed text plus a summary line, or one JSON object at the end.</summary>
internal sealed class GenerationWriter(bool json, TextWriter stdout, TextWriter stderr, bool hasText)
{
    readonly Dictionary<int, List<GenerationEvent>> _events = new();

    public async Task OnEventAsync(GenerationEvent e)
    {
        if (!_events.TryGetValue(e.Sequence, out var list)) _events[e.Sequence] = list = [];
        if (e.TokenId >= 0 || e.Finish is not null) list.Add(e);
        if (json) return;
        if (hasText) await stdout.WriteAsync(e.TextDelta);
        else if (e.TokenId >= 0) await stdout.WriteAsync((e.Index == 0 ? "" : " ") + e.TokenId);
        await stdout.FlushAsync();
    }

    public async Task FinishAsync(IGenerationRun session, PromptText? text)
    {
        var stats = session.Stats;
        if (!json)
        {
            var reasons = string.Join(",", Enumerable.Range(0, session.SequenceCount).Select(i => session.FinishOf(i) is { } f ? GenerationEvent.Name(f) : "?").Distinct());
            await stdout.WriteLineAsync();
            await stderr.WriteLineAsync(StatsLine(stats, reasons) + (session is SingleSequenceRun run ? SpeculativeStatsLine(run.SpeculativeStats) : ""));
            return;
        }
        var choices = Enumerable.Range(0, session.SequenceCount).Select(i => Choice(session, i)).ToArray();
        var root = (JsonObject)choices[0].DeepClone();
        root["prompt_token_ids"] = new JsonArray(session.PromptOf(0).Select(id => (JsonNode)id).ToArray());
        if (choices.Length > 1) root["choices"] = new JsonArray(choices);
        root["stats"] = StatsJson(stats);
        if (session is SingleSequenceRun accelerated) AddSpeculativeStats((JsonObject)root["stats"]!, accelerated.SpeculativeStats);
        await stdout.WriteLineAsync(root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>The text-mode summary line printed on stderr.</summary>
    public static string StatsLine(GenerationStats stats, string finish) =>
        $"[{stats.GeneratedTokens} tokens in {stats.Seconds:F2} s, {stats.TokensPerSecond:F1} tokens/s, prompt {stats.PromptTokens} tokens, finish: {finish}]";

    /// <summary>Draft-and-verify counters after the summary line.</summary>
    static string SpeculativeStatsLine(Decoding.Speculative.SpeculativeStats s) =>
        $" [{s.TargetForwardPasses} target forwards, acceptance {s.AcceptanceRate:P0}, {s.MeanAcceptedLength:F2} tokens per step]";

    /// <summary>Draft-and-verify counters in the JSON "stats" object.</summary>
    static void AddSpeculativeStats(JsonObject o, Decoding.Speculative.SpeculativeStats s)
    {
        o["target_forward_passes"] = s.TargetForwardPasses;
        o["draft_forward_passes"] = s.DraftForwardPasses;
        o["acceptance_rate"] = Math.Round(s.AcceptanceRate, 4);
        o["mean_accepted_length"] = Math.Round(s.MeanAcceptedLength, 4);
    }

    /// <summary>The "stats" object of JSON output.</summary>
    public static JsonObject StatsJson(GenerationStats stats) => new()
    {
        ["prompt_tokens"] = stats.PromptTokens, ["generated_tokens"] = stats.GeneratedTokens, ["forward_passes"] = stats.ForwardPasses,
        ["seconds"] = Math.Round(stats.Seconds, 4), ["tokens_per_second"] = Math.Round(stats.TokensPerSecond, 2),
    };

    JsonObject Choice(IGenerationRun session, int i)
    {
        var events = _events.GetValueOrDefault(i) ?? [];
        var tokens = events.Where(e => e.TokenId >= 0).ToList();
        return new JsonObject
        {
            ["index"] = i,
            ["text"] = hasText ? string.Concat(events.Select(e => e.TextDelta)) : "",
            ["token_ids"] = new JsonArray(session.Generated(i).Select(id => (JsonNode)id).ToArray()),
            ["finish_reason"] = session.FinishOf(i) is { } f ? GenerationEvent.Name(f) : null,
            ["logprobs"] = new JsonArray(tokens.Select(e => (JsonNode)Math.Round(e.Logprob, 6)).ToArray()),
            ["top_logprobs"] = tokens.Any(e => e.TopLogprobs.Count > 0)
                ? new JsonArray(tokens.Select(e => (JsonNode)new JsonArray(e.TopLogprobs.Select(t => (JsonNode)new JsonObject { ["token_id"] = t.TokenId, ["logprob"] = Math.Round(t.Logprob, 6) }).ToArray())).ToArray())
                : null,
        };
    }
}
