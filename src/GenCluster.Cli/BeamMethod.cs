using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using GenCluster.Decoding;
using GenCluster.Decoding.Beam;

namespace GenCluster.Cli;

/// <summary>`--method beam`: transformers' beam search; prints the returned sequences best first.</summary>
internal sealed class BeamMethod : IGenerationMethod
{
    readonly Option<int> _beams = CliOption.Create<int>("--beam_width", "beams kept per step (beam search)", "--num_beams", "--num-beams").WithDefault(4);
    readonly Option<double> _lengthPenalty = CliOption.Create<double>("--length_penalty", "beam score = sum logprobs / length^penalty").WithDefault(1.0);
    readonly Option<string> _earlyStopping = CliOption.Create<string>("--early_stopping", "true|false|never (beam search stopping rule)").WithDefault("false");
    readonly Option<int> _returned = CliOption.Create<int>("--num_return_sequences", "beam hypotheses to return, best first").WithDefault(1);

    /// <summary>Progress goes to stderr this often in text mode (beam search can run for thousands of steps).</summary>
    const int ProgressEvery = 100;

    public string Name => "beam";

    public BeamMethod() => _earlyStopping.AcceptOnlyFromAmong("true", "false", "never");

    public IEnumerable<Option> Options => [_beams, _lengthPenalty, _earlyStopping, _returned];

    public async Task<int> RunAsync(GenerationContext c, CancellationToken cancellation)
    {
        var r = c.Parsed;
        var request = new BeamSearchRequest
        {
            Prompt = c.Prompt, NumBeams = r.GetValue(_beams), LengthPenalty = r.GetValue(_lengthPenalty),
            EarlyStopping = BeamSearchRequest.ParseStopping(r.GetValue(_earlyStopping)!), NumReturnSequences = r.GetValue(_returned),
            Sampling = c.Sampling, EosTokenIds = c.EosTokenIds, Overflow = c.Overflow,
        };
        var clock = Stopwatch.StartNew();
        using var search = new BeamSearch(c.Loaded.Model, request);
        var progress = new Progress(c.Json ? null : c.Stderr);
        var result = await Task.Run(() => search.Run(progress, cancellation), CancellationToken.None);
        var stats = new GenerationStats(search.Prompt.Count, result[0].Tokens.Length, search.ForwardPasses, clock.Elapsed.TotalSeconds);
        if (!c.Json)
        {
            foreach (var h in result) await c.Stdout.WriteLineAsync(c.Decode(h.Tokens));
            await c.Stderr.WriteLineAsync(GenerationWriter.StatsLine(stats, Finish(result[0])) + $" [best score {result[0].Score:F6}]");
            return 0;
        }
        var sequences = result.Select(h => new JsonObject
        {
            ["text"] = c.Decode(h.Tokens), ["token_ids"] = GenerationContext.Ids(h.Tokens), ["score"] = h.Score, ["finish_reason"] = Finish(h),
        }).ToArray();
        var root = (JsonObject)sequences[0].DeepClone();
        root["sequences"] = new JsonArray(sequences);
        await c.WriteJsonAsync(root, stats);
        return 0;
    }

    static string Finish(BeamHypothesis h) => GenerationEvent.Name(h.EndsWithEos ? FinishReason.Eos : FinishReason.Length);

    /// <summary>Writes the best hypothesis so far every <see cref="ProgressEvery"/> steps (synchronously, from the search thread).</summary>
    sealed class Progress(TextWriter? stderr) : IProgress<BeamProgress>
    {
        public void Report(BeamProgress p)
        {
            if (stderr is not null && p.Step % ProgressEvery == 0)
                stderr.WriteLine($"[beam step {p.Step}: best score {p.BestScore:F4}, {p.FinishedHypotheses} finished]");
        }
    }
}
