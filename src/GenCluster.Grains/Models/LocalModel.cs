using GenCluster.Decoding;
using GenCluster.Grains.Hosting;
using GenCluster.Models;
using GenCluster.Models.Text;

namespace GenCluster.Grains.Models;

/// <summary>A model loaded on this silo: weights, tokenizer (when the folder has one) and the thread that runs its forward passes.</summary>
public sealed class LocalModel : IDisposable
{
    LocalModel(HostedModel spec, LoadedModel loaded, HfTokenizer? tokenizer)
    {
        Spec = spec;
        Loaded = loaded;
        Tokenizer = tokenizer;
        Executor = new ModelExecutor(spec.Name);
    }

    /// <summary>The configuration it was loaded from.</summary>
    public HostedModel Spec { get; }

    /// <summary>The network and its configs.</summary>
    public LoadedModel Loaded { get; }

    /// <summary>The tokenizer, or null when the folder has no tokenizer.json (token-id prompts only).</summary>
    public HfTokenizer? Tokenizer { get; }

    /// <summary>Runs this model's forward passes.</summary>
    public ModelExecutor Executor { get; }

    /// <summary>Loads the folder named by <paramref name="spec"/>.</summary>
    public static LocalModel Load(HostedModel spec)
    {
        var loaded = ModelLoader.Load(spec.Dir, new LoadOptions { Device = spec.Device, Dtype = spec.Dtype });
        var tokenizer = File.Exists(Path.Combine(spec.Dir, "tokenizer.json")) ? HfTokenizer.Load(spec.Dir) : null;
        return new LocalModel(spec, loaded, tokenizer);
    }

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
        Loaded.Dispose();
    }

    sealed class DetokenizerStream(IncrementalDetokenizer detokenizer) : ITextStream
    {
        public string Push(long tokenId) => detokenizer.Push((int)tokenId);
        public string Flush() => detokenizer.Flush();
    }
}
