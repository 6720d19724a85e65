using System.CommandLine;
using GenCluster.Decoding;
using GenCluster.Decoding.Medusa;
using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Models.Medusa;

namespace GenCluster.Cli;

/// <summary>
/// The draft-and-verify methods of `gencluster generate`: --method speculative (a draft model), prompt_lookup
/// (n-gram copies from the context) and medusa (heads on the target's hidden states). They print like the sampling
/// methods, plus target forwards, acceptance rate and mean accepted length in the stats.
/// </summary>
internal sealed class AcceleratedMethods
{
    readonly Option<string?> _draftModel = CliOption.Create<string?>("--draft-model", "draft model folder for --method speculative (same vocabulary as --model; default: MODEL-draft beside the model folder)");
    readonly Option<int> _lookahead = CliOption.Create<int>("--lookahead", "tokens proposed per step for speculative and prompt_lookup").WithDefault(4);
    readonly Option<int> _ngram = CliOption.Create<int>("--prompt_lookup_ngram", "longest n-gram prompt_lookup matches in the context").WithDefault(3);
    readonly Option<string?> _medusaHeads = CliOption.Create<string?>("--medusa-model-heads", "Medusa heads folder (vLLM format) for --method medusa (default: MODEL-medusa beside the model folder)");
    readonly Option<string> _medusaAcceptance = CliOption.Create<string>("--medusa-acceptance", "greedy|typical (typical needs sampling flags)").WithDefault("greedy");
    readonly Option<string?> _medusaTree = CliOption.Create<string?>("--medusa-tree", "Medusa candidate tree as rank paths, e.g. 0;1;0,0 (default: a sparse tree of 4 nodes on the CPU, 32 on a GPU)");

    AcceleratedMethods() => _medusaAcceptance.AcceptOnlyFromAmong("greedy", "typical");

    /// <summary>The three methods; the flags they share (--lookahead) are registered once.</summary>
    public static IGenerationMethod[] Create()
    {
        var m = new AcceleratedMethods();
        return
        [
            new Method("speculative", [m._draftModel, m._lookahead], m.Speculative),
            new Method("prompt_lookup", [m._ngram], (c, owned) => SpeculativeDecoder.WithPromptLookup(c.Loaded.Model, Request(c), m.Lookahead(c), c.Parsed.GetValue(m._ngram), c.Text?.NewStream())),
            new Method("medusa", [m._medusaHeads, m._medusaAcceptance, m._medusaTree], m.Medusa),
        ];
    }

    int Lookahead(GenerationContext c)
    {
        int k = c.Parsed.GetValue(_lookahead);
        return k >= 1 ? k : throw new UsageException($"--lookahead must be >= 1, got {k}");
    }

    static GenerationRequest Request(GenerationContext c) => new()
    {
        Prompts = [c.Prompt], Sampling = c.Sampling, EosTokenIds = c.EosTokenIds, UseKvCache = c.UseKvCache,
        Overflow = c.Overflow, DefaultSeed = (ulong)Random.Shared.NextInt64(),
    };

    SingleSequenceRun Speculative(GenerationContext c, List<IDisposable> owned)
    {
        var dir = c.Parsed.GetValue(_draftModel) ?? ModelLocator.Companion(c.ModelDir, "draft")
            ?? throw new UsageException($"--method speculative needs --draft-model DIR (no {Path.GetFileName(ModelLocator.CompanionPath(c.ModelDir, "draft"))} folder beside the model)");
        // The draft loads as the target did (--dtype, --device, --no-fast-path).
        var draft = ModelLoader.Load(dir, c.LoadOptions);
        owned.Add(draft);
        return SpeculativeDecoder.WithDraft(c.Loaded, draft, Request(c), Lookahead(c), c.Text?.NewStream());
    }

    SingleSequenceRun Medusa(GenerationContext c, List<IDisposable> owned)
    {
        var dir = c.Parsed.GetValue(_medusaHeads) ?? ModelLocator.Companion(c.ModelDir, "medusa")
            ?? throw new UsageException($"--method medusa needs --medusa-model-heads DIR (no {Path.GetFileName(ModelLocator.CompanionPath(c.ModelDir, "medusa"))} folder beside the model)");
        var heads = MedusaHeads.Load(dir, c.Loaded.Model.Dtype, c.Loaded.Model.Device);
        owned.Add(heads);
        var options = new MedusaOptions
        {
            Acceptance = c.Parsed.GetValue(_medusaAcceptance) == "typical" ? MedusaAcceptance.Typical : MedusaAcceptance.Greedy,
            Tree = c.Parsed.GetValue(_medusaTree) is { } tree ? MedusaTree.Parse(tree) : null,
        };
        return new MedusaDecoder(c.Loaded.Model, heads, Request(c), options, c.Text?.NewStream());
    }

    sealed class Method(string name, Option[] options, Func<GenerationContext, List<IDisposable>, SingleSequenceRun> create) : IGenerationMethod
    {
        public string Name => name;

        public IEnumerable<Option> Options => options;

        public async Task<int> RunAsync(GenerationContext c, CancellationToken cancellation)
        {
            var owned = new List<IDisposable>();
            try
            {
                using var run = create(c, owned);
                var writer = new GenerationWriter(c.Json, c.Stdout, c.Stderr, c.Text is not null);
                await foreach (var e in GenerationStream.RunAsync(run, cancellation)) await writer.OnEventAsync(e);
                await writer.FinishAsync(run, c.Text);
                return 0;
            }
            finally
            {
                foreach (var item in owned) item.Dispose();
            }
        }
    }
}
