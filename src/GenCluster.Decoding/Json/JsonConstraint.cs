namespace GenCluster.Decoding.Json;

/// <summary>
/// JSON-schema constrained decoding (the approach of outlines, xgrammar and llama.cpp grammars): the schema becomes a
/// character pushdown automaton, and at each step the allowed tokens are those of the vocabulary trie whose text the
/// automaton can read from the current state; EOS is allowed exactly when the value is complete. Masks are cached
/// per automaton state. Thread-safe (calls are serialized), so one compiled constraint can serve many sequences.
/// </summary>
public sealed class JsonConstraint
{
    const long MaskCacheBytes = 64L << 20;

    readonly GrammarAutomaton _automaton;
    readonly TokenVocabulary _vocabulary;
    readonly Dictionary<int, TokenMask> _masks = [];
    readonly int _maskCapacity;
    readonly int[] _walk;
    readonly Lock _gate = new();

    JsonConstraint(GrammarAutomaton automaton, TokenVocabulary vocabulary)
    {
        (_automaton, _vocabulary) = (automaton, vocabulary);
        _maskCapacity = (int)Math.Max(256, MaskCacheBytes / Math.Max(1, vocabulary.Size / 8));
        _walk = new int[vocabulary.Nodes.Max(n => n.Depth) + 1];
    }

    /// <summary>Compiles <paramref name="schemaJson"/> (null: any JSON value) against a shared vocabulary trie.</summary>
    /// <exception cref="UnsupportedSchemaException">The schema uses a keyword outside the supported subset.</exception>
    /// <exception cref="InvalidSchemaException">The schema is malformed or unsatisfiable.</exception>
    public static JsonConstraint Compile(string? schemaJson, TokenVocabulary vocabulary, JsonGrammarOptions? options = null) =>
        new(new GrammarAutomaton(JsonSchemaCompiler.Compile(schemaJson, options ?? JsonGrammarOptions.Default)), vocabulary);

    /// <summary>Compiles <paramref name="schemaJson"/> for a vocabulary given as decoded token texts (index = id).</summary>
    public static JsonConstraint Compile(string? schemaJson, IReadOnlyList<string?> tokenTexts, IReadOnlyList<int> eosIds, JsonGrammarOptions? options = null) =>
        Compile(schemaJson, new TokenVocabulary(tokenTexts, eosIds), options);

    /// <summary>The vocabulary the masks are over.</summary>
    public TokenVocabulary Vocabulary => _vocabulary;

    /// <summary>The state before the first generated token.</summary>
    public JsonState Start() => new(_automaton.Start);

    /// <summary>Whether the text generated so far is a complete value (EOS allowed).</summary>
    public bool IsComplete(JsonState state)
    {
        lock (_gate) return _automaton.IsComplete(state.Id);
    }

    /// <summary>Whether nothing but EOS can follow (the generation loop may stop without sampling).</summary>
    public bool IsFinished(JsonState state)
    {
        lock (_gate) return !_automaton.HasContinuation(state.Id);
    }

    /// <summary>The token ids allowed in <paramref name="state"/>.</summary>
    public TokenMask AllowedTokens(JsonState state)
    {
        lock (_gate)
        {
            if (_masks.TryGetValue(state.Id, out var cached)) return cached;
            if (_masks.Count >= _maskCapacity) _masks.Clear();
            return _masks[state.Id] = Walk(state.Id);
        }
    }

    /// <summary>The state after token <paramref name="tokenId"/>; EOS keeps a complete state.</summary>
    /// <exception cref="ArgumentException">The token is not allowed in <paramref name="state"/>.</exception>
    public JsonState Advance(JsonState state, int tokenId) => TryAdvance(state, tokenId, out var next) ? next
        : throw new ArgumentException($"token {tokenId} ({Describe(tokenId)}) is not allowed here by the JSON constraint; sample under AllowedTokens", nameof(tokenId));

    /// <summary>Like <see cref="Advance"/>, returning false instead of throwing for a disallowed token.</summary>
    public bool TryAdvance(JsonState state, int tokenId, out JsonState next)
    {
        lock (_gate)
        {
            next = state;
            if (_vocabulary.EosIds.Contains(tokenId)) return _automaton.IsComplete(state.Id);
            if ((uint)tokenId >= (uint)_vocabulary.Size || !_vocabulary.IsPlaceable(tokenId)) return false;
            var id = _automaton.Step(state.Id, _vocabulary.Texts[tokenId]!);
            if (id == GrammarAutomaton.Dead) return false;
            next = new JsonState(id);
            return true;
        }
    }

    string Describe(int tokenId) => (uint)tokenId < (uint)_vocabulary.Size && _vocabulary.Texts[tokenId] is { } text
        ? System.Text.Json.JsonSerializer.Serialize(text) : "no text";

    /// <summary>Whether <paramref name="text"/> as a whole is a value the constraint generates (a character-level check, no tokens).</summary>
    public bool Accepts(string text)
    {
        lock (_gate)
        {
            var state = _automaton.Step(_automaton.Start, text);
            return state != GrammarAutomaton.Dead && _automaton.IsComplete(state);
        }
    }

    /// <summary>
    /// Walks the trie depth-first from <paramref name="state"/>, skipping every subtree whose prefix is rejected, and
    /// taking a big subtree at once when every character below it moves the automaton uniformly level by level
    /// (plain text inside a string), which spares most of the walk in the commonest states of JSON generation.
    /// </summary>
    TokenMask Walk(int state)
    {
        var v = _vocabulary;
        var mask = new TokenMask(v.Size);
        var stateAt = _walk;
        stateAt[0] = state;
        var nodes = v.Nodes;
        for (int node = 1; node < nodes.Length - 1;)
        {
            var (c, depth, subtreeEnd, tokensStart) = nodes[node];
            var next = _automaton.Step(stateAt[depth - 1], c);
            if (next == GrammarAutomaton.Dead)
            {
                node = subtreeEnd;
                continue;
            }
            var end = subtreeEnd - node > BulkSubtreeNodes && AllLive(next, node) ? subtreeEnd : node + 1;
            stateAt[depth] = next;
            for (int k = tokensStart; k < nodes[end].TokensStart; k++) mask.Allow(v.Tokens[k]);
            node = end;
        }
        if (_automaton.IsComplete(state))
            foreach (var eos in v.EosIds) mask.Allow(eos);
        return mask;
    }

    /// <summary>Subtrees smaller than this are walked node by node: the uniformity check would cost more than it saves.</summary>
    const int BulkSubtreeNodes = 32;

    /// <summary>Whether every path below <paramref name="node"/>, read from <paramref name="state"/>, stays alive: each level's state steps uniformly on all the characters below.</summary>
    bool AllLive(int state, int node)
    {
        var (low, high) = _automaton.UniformRun(state, _vocabulary.Height[node]);
        return (_vocabulary.BelowLow[node] & ~low) == 0 && (_vocabulary.BelowHigh[node] & ~high) == 0;
    }
}
