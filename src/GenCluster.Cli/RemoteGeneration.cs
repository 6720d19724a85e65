using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;
using GenCluster.Client;
using GenCluster.Gateway.V1;
using GenCluster.Sampling;
using Grpc.Core;

namespace GenCluster.Cli;

/// <summary>`gencluster generate --server URL`: the same flags sent through the cluster's gRPC gateway, the tokens streamed back.</summary>
internal static class RemoteGeneration
{
    /// <summary>
    /// What the flags ask for: served model name, prompt (text or ids), chat, sampling, EOS override, overflow policy,
    /// and the decoding strategy (beam, cot, json, speculative, prompt_lookup, medusa) or null for sampling.
    /// </summary>
    public sealed record Order(string? Model, string? Prompt, long[]? InputIds, bool Chat, string? System, SamplingParams Sampling, long[]? Eos, string Overflow,
        string? Strategy = null);

    /// <summary>The --method values the cluster runs as decoding strategies.</summary>
    public static readonly string[] Strategies = ["beam", "cot", "json", "speculative", "prompt_lookup", "medusa"];

    public static async Task<int> RunAsync(string server, Order order, ParseResult parsed, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var request = Request(order);
        if (order.Strategy is { } strategy)
        {
            request.Method = strategy;
            request.Decoding = Decoding(parsed);
        }
        using var client = new GenClusterClient(server);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tokens = new List<TokenDelta>();
        SessionStatus? summary = null;
        try
        {
            await foreach (var e in client.GenerateAsync(request, cancellation))
            {
                if (e.Summary is { } s) summary = s;
                if (e.Tokens is not { } batch) continue;
                tokens.AddRange(batch.Tokens);
                if (json) continue;
                foreach (var t in batch.Tokens)
                {
                    // Sequences (beam hypotheses, CoT branches) after the first start on a line of their own.
                    if (t.TokenIndex == 0 && t.Sequence > 0) await stdout.WriteLineAsync();
                    await stdout.WriteAsync(t.Text.Length > 0 || t.TokenId < 0 ? t.Text : (t.TokenIndex == 0 ? "" : " ") + t.TokenId);
                }
                await stdout.FlushAsync(cancellation);
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound)
        {
            await stderr.WriteLineAsync($"error: {e.Status.Detail}");
            return 2;
        }
        catch (RpcException e)
        {
            await stderr.WriteLineAsync($"error: {e.StatusCode}: {e.Status.Detail}");
            return 1;
        }
        if (summary is null) return 1;
        double seconds = clock.Elapsed.TotalSeconds;
        if (json) await stdout.WriteLineAsync(Json(summary, tokens, seconds).ToJsonString());
        else
        {
            await stdout.WriteLineAsync();
            await stderr.WriteLineAsync($"[{summary.GeneratedTokens} tokens in {seconds:F2} s, {summary.GeneratedTokens / seconds:F1} tokens/s, prompt {summary.PromptTokens} tokens, " +
                $"finish: {string.Join(",", summary.Sequences.Select(s => s.FinishReason).Distinct())}, session {summary.SessionId} on {summary.Silo}]");
            if (summary.Answer.Length > 0) await stderr.WriteLineAsync($"answer: {summary.Answer}");
        }
        return summary.Status == "failed" ? 1 : 0;
    }

    /// <summary>The strategy flags the command line set explicitly (by the names the method classes declare them with).</summary>
    static DecodingParameters Decoding(ParseResult r)
    {
        var d = new DecodingParameters();
        bool Given(string name) => r.GetResult(name) is OptionResult { Implicit: false };
        if (Given("--beam_width")) d.NumBeams = r.GetValue<int>("--beam_width");
        if (Given("--length_penalty")) d.LengthPenalty = r.GetValue<double>("--length_penalty");
        if (Given("--early_stopping")) d.EarlyStopping = r.GetValue<string>("--early_stopping")!;
        if (Given("--num_return_sequences")) d.NumReturnSequences = r.GetValue<int>("--num_return_sequences");
        if (Given("--cot_branches")) d.CotBranches = r.GetValue<int>("--cot_branches");
        if (Given("--cot_answer_regex")) d.CotAnswerRegex = r.GetValue<string>("--cot_answer_regex")!;
        if (Given("--cot_aggregate")) d.CotAggregate = r.GetValue<bool>("--cot_aggregate");
        if (Given("--json_schema"))
        {
            var file = r.GetValue<string>("--json_schema")!;
            d.JsonSchema = File.Exists(file) ? File.ReadAllText(file) : throw new UsageException($"JSON schema file not found: {file}");
        }
        if (Given("--draft-model")) d.DraftModel = r.GetValue<string>("--draft-model")!;
        if (Given("--lookahead")) d.Lookahead = r.GetValue<int>("--lookahead");
        if (Given("--prompt_lookup_ngram")) d.PromptLookupNgram = r.GetValue<int>("--prompt_lookup_ngram");
        if (Given("--medusa-acceptance")) d.MedusaAcceptance = r.GetValue<string>("--medusa-acceptance")!;
        if (Given("--medusa-tree")) d.MedusaTree = r.GetValue<string>("--medusa-tree")!;
        return d;
    }

    static GenerateRequest Request(Order o)
    {
        var p = o.Sampling;
        var request = new GenerateRequest
        {
            Model = o.Model ?? "", ContextOverflow = o.Overflow,
            Sampling = new SamplingParameters
            {
                DoSample = p.DoSample, Temperature = p.Temperature, TopK = p.TopK, TopP = p.TopP, MinP = p.MinP, TypicalP = p.TypicalP,
                EpsilonCutoff = p.EpsilonCutoff, EtaCutoff = p.EtaCutoff, RepetitionPenalty = p.RepetitionPenalty, NoRepeatNgramSize = p.NoRepeatNgramSize,
                MinNewTokens = p.MinNewTokens, MaxNewTokens = p.MaxNewTokens, PresencePenalty = p.PresencePenalty, FrequencyPenalty = p.FrequencyPenalty,
                N = p.N, TopLogprobs = p.TopLogprobs,
            },
        };
        if (p.Seed is { } seed) request.Sampling.Seed = seed;
        request.Sampling.Stop.AddRange(p.Stop);
        request.Sampling.StopTokenIds.AddRange(p.StopTokenIds);
        foreach (var (id, bias) in p.LogitBias ?? new Dictionary<long, double>()) request.Sampling.LogitBias[id] = bias;
        if (o.Eos is not null) request.EosTokenIds.AddRange(o.Eos);
        if (new[] { o.Prompt is not null, o.InputIds is not null }.Count(x => x) != 1)
            throw new UsageException("give exactly one of --prompt, --prompt_file or --input-ids");
        if (o.InputIds is not null)
        {
            if (o.Chat) throw new UsageException("--apply-chat-template needs a text prompt, not --input-ids");
            request.InputIds = new TokenIds();
            request.InputIds.Ids.AddRange(o.InputIds);
        }
        else if (o.Chat)
        {
            request.Messages = new ChatMessages();
            if (o.System is not null) request.Messages.Messages.Add(new ChatMessage { Role = "system", Content = o.System });
            request.Messages.Messages.Add(new ChatMessage { Role = "user", Content = o.Prompt });
        }
        else request.Prompt = o.Prompt;
        return request;
    }

    static JsonObject Json(SessionStatus summary, List<TokenDelta> tokens, double seconds)
    {
        var choices = summary.Sequences.Select((s, i) => new JsonObject
        {
            ["index"] = i, ["text"] = s.Text, ["token_ids"] = new JsonArray(s.TokenIds.Select(id => (JsonNode)id).ToArray()), ["finish_reason"] = s.FinishReason,
            ["logprobs"] = new JsonArray(tokens.Where(t => t.Sequence == i && t.TokenId >= 0).Select(t => (JsonNode)Math.Round(t.Logprob, 6)).ToArray()),
            ["score"] = s.HasScore ? s.Score : null, ["answer"] = s.HasAnswer ? s.Answer : null, ["confidence"] = s.HasConfidence ? s.Confidence : null,
        }).ToArray();
        var root = (JsonObject)choices[0].DeepClone();
        if (choices.Length > 1) root["choices"] = new JsonArray(choices);
        if (summary.Answer.Length > 0) root["answer"] = summary.Answer;
        root["session_id"] = summary.SessionId;
        root["silo"] = summary.Silo;
        root["stats"] = new JsonObject
        {
            ["prompt_tokens"] = summary.PromptTokens, ["generated_tokens"] = summary.GeneratedTokens, ["seconds"] = Math.Round(seconds, 4),
            ["tokens_per_second"] = Math.Round(summary.GeneratedTokens / seconds, 2), ["forward_passes"] = summary.Stats?.ForwardPasses ?? 0,
            ["draft_forward_passes"] = summary.Stats?.DraftForwardPasses ?? 0, ["rounds"] = summary.Stats?.Rounds ?? 0,
            ["proposed"] = summary.Stats?.Proposed ?? 0, ["accepted"] = summary.Stats?.Accepted ?? 0,
        };
        return root;
    }
}
