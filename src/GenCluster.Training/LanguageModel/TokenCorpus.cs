using GenCluster.Training.Tokenization;
using static TorchSharp.torch;

namespace GenCluster.Training.LanguageModel;

/// <summary>A text file encoded as one token stream (each line followed by its newline), with the offsets where lines start.</summary>
/// <remarks>Training windows start at a line start and are prefixed with BOS, which is how the runtime sees a prompt:
/// BOS, then text from the start of a verse.</remarks>
public sealed class TokenCorpus
{
    readonly int[] tokens;
    readonly int[] lineStarts;
    readonly int bos;

    TokenCorpus(int[] tokens, int[] lineStarts, int bos) => (this.tokens, this.lineStarts, this.bos) = (tokens, lineStarts, bos);

    /// <summary>Number of tokens.</summary>
    public int Length => tokens.Length;

    /// <summary>Encodes the non-empty lines of a UTF-8 text file.</summary>
    public static TokenCorpus Encode(BpeEncoder encoder, string path)
    {
        var tokens = new List<int>();
        var starts = new List<int>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            starts.Add(tokens.Count);
            tokens.AddRange(encoder.Encode(line + "\n"));
        }
        return new TokenCorpus([.. tokens], [.. starts], encoder.Id(SpecialTokens.Bos));
    }

    /// <summary>A batch of windows (BOS + <paramref name="context"/>-1 tokens) starting at random line starts, and their next-token targets.</summary>
    public (Tensor Inputs, Tensor Targets) Sample(Random random, int batch, int context)
    {
        var usable = lineStarts.Count(s => s + context <= tokens.Length);
        if (usable == 0)
            throw new InvalidOperationException($"the corpus has {tokens.Length} tokens, too few for windows of {context}");
        var starts = Enumerable.Range(0, batch).Select(_ => lineStarts[random.Next(usable)]).ToArray();
        return Windows(starts, context);
    }

    /// <summary>Consecutive non-overlapping windows starting at line starts, covering the corpus once (for validation).</summary>
    public IReadOnlyList<int> ValidationStarts(int context)
    {
        var starts = new List<int>();
        var next = 0;
        foreach (var s in lineStarts)
            if (s >= next && s + context <= tokens.Length) { starts.Add(s); next = s + context - 1; }
        return starts;
    }

    /// <summary>Inputs [BOS, t(s) .. t(s+T-2)] and targets [t(s) .. t(s+T-1)] for each start s.</summary>
    public (Tensor Inputs, Tensor Targets) Windows(IReadOnlyList<int> starts, int context)
    {
        var inputs = new long[starts.Count * context];
        var targets = new long[starts.Count * context];
        for (var row = 0; row < starts.Count; row++)
        {
            var s = starts[row];
            inputs[row * context] = bos;
            for (var i = 0; i < context; i++)
            {
                if (i > 0) inputs[row * context + i] = tokens[s + i - 1];
                targets[row * context + i] = tokens[s + i];
            }
        }
        return (tensor(inputs, [starts.Count, context]), tensor(targets, [starts.Count, context]));
    }
}
