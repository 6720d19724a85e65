using GenCluster.Decoding;
using GenCluster.Decoding.Json;
using GenCluster.Grains.Hosting;
using GenCluster.Models;
using GenCluster.Models.Medusa;
using GenCluster.Models.Text;

namespace GenCluster.Grains.Models;

/// <summary>A model loaded on this silo: weights, tokenizer (when the folder has one) and the thread that runs its forward passes.</summary>
public sealed class LocalModel : IDisposable
{
    readonly Lazy<TokenVocabulary?> _vocabulary;

    LocalModel(HostedModel spec, LoadedModel loaded, HfTokenizer? tokenizer, MedusaHeads? heads)
    {
        Spec = spec;
        Loaded = loaded;
        Tokenizer = tokenizer;
        Heads = heads;
        Executor = new ModelExecutor(spec.Name, loaded.Model, spec.BatchDecodeSteps);
        _vocabulary = new(() => tokenizer is null ? null : new TokenVocabulary(TokenTexts.Of(tokenizer, loaded.Config.VocabSize), JsonEos(loaded.EosTokenIds)));
    }

    /// <summary>The configuration it was loaded from.</summary>
    public HostedModel Spec { get; }

    /// <summary>The network and its configs.</summary>
    public LoadedModel Loaded { get; }

    /// <summary>The tokenizer, or null when the folder has no tokenizer.json (token-id prompts only).</summary>
    public HfTokenizer? Tokenizer { get; }

    /// <summary>Medusa heads trained for this model (from <see cref="HostedModel.MedusaHeads"/>), or null.</summary>
    public MedusaHeads? Heads { get; }

    /// <summary>Runs this model's forward passes.</summary>
    public ModelExecutor Executor { get; }

    /// <summary>Loads the folder named by <paramref name="spec"/>.</summary>
    public static LocalModel Load(HostedModel spec)
    {
        if (spec.Accelerate is { } method && !spec.CanAccelerate)
            throw new ArgumentException($"model '{spec.Name}': Accelerate must be speculative (with Draft), medusa (with MedusaHeads) or prompt_lookup, got '{method}'");
        var loaded = ModelLoader.Load(spec.Dir, new LoadOptions { Device = spec.Device, Dtype = spec.Dtype });
        var tokenizer = File.Exists(Path.Combine(spec.Dir, "tokenizer.json")) ? HfTokenizer.Load(spec.Dir) : null;
        var heads = spec.MedusaHeads is { } dir ? MedusaHeads.Load(dir, loaded.Model.Dtype, loaded.Model.Device) : null;
        return new LocalModel(spec, loaded, tokenizer, heads);
    }

    /// <summary>
    /// The vocabulary trie JSON constraints mask over, built once on first use for the model's EOS ids (a request with
    /// other EOS ids gets its own); null without a tokenizer.
    /// </summary>
    public TokenVocabulary? JsonVocabulary(IReadOnlyList<long> eosTokenIds)
    {
        if (Tokenizer is null) return null;
        var shared = _vocabulary.Value!;
        var eos = JsonEos(eosTokenIds);
        return eos.SequenceEqual(shared.EosIds) ? shared : new TokenVocabulary(shared.Texts, eos);
    }

    int[] JsonEos(IEnumerable<long> ids) => ids.Where(id => id >= 0 && id < Loaded.Config.VocabSize).Select(id => (int)id).ToArray();

    /// <summary>A streaming detokenizer for one sequence, or null without a tokenizer.</summary>
    public ITextStream? NewTextStream() => Tokenizer is null ? null : new DetokenizerStream(Tokenizer.CreateDetokenizer());

    /// <summary>The model's shape as clients see it.</summary>
    public ModelInfo Describe() => new()
    {
        Name = Spec.Name, Architecture = Loaded.Config.Architecture, VocabSize = Loaded.Config.VocabSize,
        MaxPositions = Loaded.Config.MaxPositions, EosTokenIds = Loaded.EosTokenIds.ToArray(), HasTokenizer = Tokenizer is not null,
    };

    /// <summary>Stops the executor and frees the weights (left to the finalizers if a forward pass is still running).</summary>
    public void Dispose()
    {
        if (!Executor.Stop(TimeSpan.FromSeconds(5))) return;
        Executor.Dispose();
        Heads?.Dispose();
        Loaded.Dispose();
    }

    sealed class DetokenizerStream(IncrementalDetokenizer detokenizer) : ITextStream
    {
        public string Push(long tokenId) => detokenizer.Push((int)tokenId);
        public string Flush() => detokenizer.Flush();
    }
}
