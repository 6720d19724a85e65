using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using GenCluster.Decoding;
using GenCluster.Decoding.Cot;

namespace GenCluster.Cli;

/// <summary>`--method cot`: chain-of-thought decoding; prints the branches ranked by answer confidence and the answer.</summary>
internal sealed class CotMethod : IGenerationMethod
{
    readonly Option<int> _branches = CliOption.Create<int>("--cot_branches", "CoT decoding: branches on the top-k first tokens").WithDefault(10);
    readonly Option<string?> _regex = CliOption.Create<string?>("--cot_answer_regex", "CoT decoding: answer = last match (default: the last number)");
    readonly Option<bool> _aggregate = CliOption.Create<bool>("--cot_aggregate", "CoT decoding: pick the answer by confidence summed over branches");

    public string Name => "cot";

    public IEnumerable<Option> Options => [_branches, _regex, _aggregate];

    public async Task<int> RunAsync(GenerationContext c, CancellationToken cancellation)
    {
        var r = c.Parsed;
        var request = new CotRequest
        {
            Prompt = c.Prompt, Branches = r.GetValue(_branches), AnswerPattern = r.GetValue(_regex) ?? AnswerSpan.LastNumber,
            Sampling = c.Sampling, EosTokenIds = c.EosTokenIds, Overflow = c.Overflow,
        };
        var clock = Stopwatch.StartNew();
        var result = await Task.Run(() => new CotDecoder(c.Loaded.Model, c.NewTextStream).Run(request, r.GetValue(_aggregate), cancellation), CancellationToken.None);
        var stats = new GenerationStats(c.Prompt.Count, result.Branches.Sum(b => b.Tokens.Length), result.ForwardPasses, clock.Elapsed.TotalSeconds);
        if (!c.Json)
        {
            foreach (var b in result.Branches)
                await c.Stdout.WriteLineAsync($"[confidence {b.Confidence:F4}, answer {b.Answer ?? "-"}] {b.Text}");
            await c.Stdout.WriteAsync($"answer: {result.Answer ?? "-"}");
            await c.WriteSummaryAsync(stats, string.Join(",", result.Branches.Select(b => b.Finish is { } f ? GenerationEvent.Name(f) : "?").Distinct()));
            return 0;
        }
        var best = result.Branches[0];
        var root = new JsonObject
        {
            ["text"] = best.Text, ["token_ids"] = GenerationContext.Ids(best.Tokens), ["answer"] = result.Answer, ["confidence"] = best.Confidence,
            ["branches"] = new JsonArray(result.Branches.Select(b => (JsonNode)new JsonObject
            {
                ["text"] = b.Text, ["answer"] = b.Answer, ["confidence"] = b.Confidence, ["first_token"] = b.FirstToken,
                ["token_ids"] = GenerationContext.Ids(b.Tokens), ["finish_reason"] = b.Finish is { } f ? GenerationEvent.Name(f) : null,
            }).ToArray()),
            ["aggregated"] = new JsonArray(result.Aggregated.Select(a => (JsonNode)new JsonObject
            {
                ["answer"] = a.Answer, ["confidence"] = a.Confidence, ["branches"] = a.Branches,
            }).ToArray()),
        };
        await c.WriteJsonAsync(root, stats);
        return 0;
    }
}
