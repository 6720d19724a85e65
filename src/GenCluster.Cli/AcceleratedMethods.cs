using System.CommandLine;
using GenCluster.Decoding;
using GenCluster.Decoding.Medusa;
using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Models.Medusa;

namespace GenCluster.Cli;

/// <summary>
/// The draft-and-verify methods of `gencluster generate`: --method speculative (a draft model), prompt_lookup
/// (n-gram copies from the context) and medusa (heads on the target's hidden states), with their flags.
/// </summary>
internal sealed class AcceleratedMethods
{
    public readonly Option<string?> DraftModel = CliOption.Create<string?>("--draft-model", "draft model folder for --method speculative (same vocabulary as --model)");
    public readonly Option<int> Lookahead = CliOption.Create<int>("--lookahead", "tokens proposed per step for speculative and prompt_lookup").WithDefault(4);
    public readonly Option<int> Ngram = CliOption.Create<int>("--prompt_lookup_ngram", "longest n-gram prompt_lookup matches in the context").WithDefault(3);
    public readonly Option<string?> MedusaHeads = CliOption.Create<string?>("--medusa-model-heads", "Medusa heads folder (vLLM format) for --method medusa");
    public readonly Option<string> MedusaAcceptance = CliOption.Create<string>("--medusa-acceptance", "greedy|typical (typical needs sampling flags)").WithDefault("greedy");
    public readonly Option<string?> MedusaTree = CliOption.Create<string?>("--medusa-tree", "Medusa candidate tree as rank paths, e.g. 0;1;0,0 (default: a sparse 32-node tree)");

    /// <summary>The options, to add to the generate command.</summary>
    public IEnumerable<Option> All => [DraftModel, Lookahead, Ngram, MedusaHeads, MedusaAcceptance, MedusaTree];

    /// <summary>True for the --method names handled here.</summary>
    public static bool Handles(string? method) => method is "speculative" or "prompt_lookup" or "medusa";

    /// <summary>Builds the decoder; models it loads are added to <paramref name="owned"/> for the caller to dispose.</summary>
    public SingleSequenceRun Create(string method, LoadedModel target, GenerationRequest request, ITextStream? text, ParseResult r, LoadOptions load, List<IDisposable> owned)
    {
        int lookahead = r.GetValue(Lookahead);
        if (lookahead < 1) throw new UsageException($"--lookahead must be >= 1, got {lookahead}");
        switch (method)
        {
            case "speculative":
                var draftDir = r.GetValue(DraftModel) ?? throw new UsageException("--method speculative needs --draft-model DIR");
                var draft = ModelLoader.Load(draftDir, load);
                owned.Add(draft);
                return SpeculativeDecoder.WithDraft(target, draft, request, lookahead, text);
            case "prompt_lookup":
                return SpeculativeDecoder.WithPromptLookup(target.Model, request, lookahead, r.GetValue(Ngram), text);
            default:
                var headsDir = r.GetValue(MedusaHeads) ?? throw new UsageException("--method medusa needs --medusa-model-heads DIR");
                var heads = Models.Medusa.MedusaHeads.Load(headsDir, target.Model.Dtype, target.Model.Device);
                owned.Add(heads);
                var options = new MedusaOptions
                {
                    Acceptance = r.GetValue(MedusaAcceptance) == "typical" ? Decoding.Medusa.MedusaAcceptance.Typical : Decoding.Medusa.MedusaAcceptance.Greedy,
                    Tree = r.GetValue(MedusaTree) is { } tree ? Decoding.Medusa.MedusaTree.Parse(tree) : null,
                };
                return new MedusaDecoder(target.Model, heads, request, options, text);
        }
    }
}
