using GenCluster.Decoding.Speculative;
using GenCluster.Models.Medusa;
using GenCluster.Models.Runtime;
using GenCluster.Sampling.Samplers;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Medusa;

/// <summary>
/// Medusa decoding (Cai et al. 2024) of one sequence. Each round: the root token comes from the target's logits at the
/// last accepted position (argmax, or a seeded draw); the heads, run on the target's hidden state there, supply the
/// candidates of the tree (node [r0, r1, ...] = rank r_d of head d); root and tree are verified in ONE target forward
/// with tree attention (each node sees its ancestors; position = depth); the longest accepted path is kept and the KV
/// cache compacted to it with <see cref="KvCache.KeepSlots"/>. Greedy acceptance reproduces the plain loop exactly
/// (greedy output, or with sampling parameters the same seeded draws).
/// </summary>
public sealed class MedusaDecoder : SingleSequenceRun
{
    readonly MedusaHeads _heads;
    readonly MedusaOptions _options;
    readonly MedusaTree _tree;
    Tensor? _lastLogits, _lastHidden; // [V] and [H] at the last accepted position
    float[]? _rootScores;             // processed scores there, when the previous walk already computed them

    /// <summary>
    /// Decodes the single prompt of <paramref name="request"/> with the target and its heads (the caller owns both),
    /// continuing after <paramref name="resumeFrom"/> when given the tokens generated so far.
    /// </summary>
    public MedusaDecoder(ICausalLM target, MedusaHeads heads, GenerationRequest request, MedusaOptions? options = null, ITextStream? text = null,
        IReadOnlyList<long>? resumeFrom = null)
        : this(target, heads, request, options ?? new MedusaOptions(), options?.Tree ?? MedusaTree.Default(heads.Config.NumHeads, target.Device.type), text, resumeFrom)
    {
    }

    MedusaDecoder(ICausalLM target, MedusaHeads heads, GenerationRequest request, MedusaOptions options, MedusaTree tree, ITextStream? text,
        IReadOnlyList<long>? resumeFrom)
        : base("Medusa", target, request, tree.Paths.Count + 1, text, resumeFrom)
    {
        VocabularyCompatibility.CheckSizes(target.Config.VocabSize, heads.Config.VocabSize, "target", "Medusa heads");
        if (heads.Config.HiddenSize != target.Config.HiddenSize)
            throw new ArgumentException($"the Medusa heads expect hidden_size {heads.Config.HiddenSize} but the target has {target.Config.HiddenSize}: they were trained for another model");
        _heads = heads;
        (_options, _tree) = (options, tree);
        if (_tree.Depth > heads.Config.NumHeads)
            throw new ArgumentException($"the Medusa tree is {_tree.Depth} deep but there are only {heads.Config.NumHeads} heads");
    }

    bool Typical => _options.Acceptance == MedusaAcceptance.Typical && !Sampling.IsGreedy;

    /// <summary>One round: root token, tree candidates, one verifying forward, longest accepted path.</summary>
    protected override IReadOnlyList<GenerationEvent> Round()
    {
        var context = Sequence.Context.ToArray();
        if (_lastLogits is null) Prefill(context);
        var rootScores = _rootScores ?? Scorer.Process(context, [], _lastLogits!);
        long root = Choose(rootScores, Sequence.Generated.Count);
        float rootLogprob = PositionScorer.RawLogprobs(_lastLogits!.unsqueeze(0), [root])[0];
        if (Sequence.Remaining == 1) return Emit([root], [rootLogprob]);

        var tree = _tree.Truncate(Math.Min(Sequence.Remaining - 1, Target.Config.MaxPositions - context.Length - 1));
        var nodes = tree is null ? [] : Candidates(tree);
        var parents = tree?.Parents ?? [];
        using var result = Target.Forward(TreeRequest(root, nodes, parents, tree), Cache);
        Forwards++;
        var logits = result.Logits[0];
        // Walk down from the root while a child is accepted (forward index 0 = root, 1 + i = node i).
        var path = new List<int> { 0 };
        var pathTokens = new List<long> { root };
        while (true)
        {
            var scores = Scorer.Process(context, pathTokens, logits[path[^1]]);
            int parent = path[^1] - 1;
            int child = Accept(scores, nodes, parents, parent, Sequence.Generated.Count + pathTokens.Count);
            if (child < 0)
            {
                _rootScores = scores;
                break;
            }
            path.Add(child + 1);
            pathTokens.Add(nodes[child]);
        }
        Rounds++;
        Proposed += tree?.Depth ?? 0;
        Accepted += path.Count - 1;
        int prefix = context.Length;
        Cache.KeepSlots(prefix, path.Select(i => prefix + i).ToArray());
        Replace(logits[path[^1]], result.Hidden![0, path[^1]]);
        // Forward row path[i] predicted path token i + 1.
        var predicting = tensor(path.Take(path.Count - 1).Select(i => (long)i).ToArray());
        var logprobs = path.Count == 1 ? [rootLogprob] : new[] { rootLogprob }.Concat(PositionScorer.RawLogprobs(logits.index_select(0, predicting), pathTokens.Skip(1).ToArray())).ToArray();
        return Emit(pathTokens, logprobs);
    }

    void Prefill(long[] context)
    {
        using var result = Target.Forward(ForwardRequest.Single(context) with { ReturnHidden = true }, Cache);
        Forwards++;
        Replace(result.Logits[0, 0], result.Hidden![0, 0]);
    }

    /// <summary>The root token: argmax when greedy, else a draw from the processed distribution (the plain loop's stream).</summary>
    long Choose(float[] scores, long index) => Sampling.IsGreedy
        ? PositionScorer.ArgMax(scores)
        : CategoricalDraw.PickFromScores(scores, SeededUniform.Next(Seed, index, SpeculativeStreams.Target));

    /// <summary>Token of every tree node: rank r of head (depth - 1) on the last accepted hidden state.</summary>
    long[] Candidates(MedusaTree tree)
    {
        var top = _heads.TopTokens(_lastHidden!, tree.TopK);
        return tree.Paths.Select(p => top[p.Length - 1][p[^1]]).ToArray();
    }

    /// <summary>Root then nodes; each sees its ancestors and itself; position = last position + 1 + depth.</summary>
    ForwardRequest TreeRequest(long root, long[] nodes, IReadOnlyList<int> parents, MedusaTree? tree)
    {
        int n = nodes.Length + 1;
        var ids = new long[1, n];
        var positions = new long[1, n];
        var visible = new bool[n, n];
        long start = Cache.NextPosition(0);
        ids[0, 0] = root;
        positions[0, 0] = start;
        visible[0, 0] = true;
        for (int i = 0; i < nodes.Length; i++)
        {
            ids[0, i + 1] = nodes[i];
            positions[0, i + 1] = start + tree!.Paths[i].Length;
            visible[i + 1, 0] = true;
            for (int j = i; j >= 0; j = parents[j]) visible[i + 1, j + 1] = true;
        }
        return new ForwardRequest(ids) { Positions = positions, TreeMask = visible, Outputs = OutputPositions.All, ReturnHidden = true };
    }

    /// <summary>The accepted child of <paramref name="parent"/> (-1 = root), or -1 when none is; <paramref name="index"/> is the child's token index.</summary>
    int Accept(float[] scores, long[] nodes, IReadOnlyList<int> parents, int parent, long index)
    {
        var children = Enumerable.Range(0, nodes.Length).Where(i => parents[i] == parent).ToArray();
        if (children.Length == 0) return -1;
        if (!Typical)
        {
            // The token the plain loop would emit at this index (argmax, or its seeded draw): output identical to it.
            long chosen = Choose(scores, index);
            return children.FirstOrDefault(c => nodes[c] == chosen, -1);
        }
        var p = CategoricalDraw.Probabilities(scores);
        // Children are in rank order: the first plausible one is the heads' best guess.
        int first = TypicalAcceptance.FirstAccepted(p, children.Select(c => nodes[c]).ToArray(), _options.Epsilon, _options.Delta);
        return first < 0 ? -1 : children[first];
    }

    void Replace(Tensor logits, Tensor hidden)
    {
        _lastLogits?.Dispose();
        _lastHidden?.Dispose();
        _lastLogits = logits.clone().DetachFromDisposeScope();
        _lastHidden = hidden.clone().DetachFromDisposeScope();
    }

    /// <summary>Releases the cache and the saved logits (the target and heads belong to the caller).</summary>
    public override void Dispose()
    {
        _lastLogits?.Dispose();
        _lastHidden?.Dispose();
        base.Dispose();
    }
}
