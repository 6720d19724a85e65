using System.Runtime.CompilerServices;

namespace GenCluster.Decoding.Json;

/// <summary>
/// The pushdown automaton of a <see cref="Grammar"/>, determinized lazily. A parse stack is a linked list of grammar
/// positions (top: the terminal to match next; below: where to resume after each open rule), hash-consed so a
/// stack is an int. A state is the sorted set of stacks still alive (grammars are ambiguous: anyOf, optional
/// members), interned so it is an int too, and every (state, character) transition is computed once and cached:
/// the mask walks then cost an array lookup per trie edge. Stack 0 is the empty stack, i.e. a complete value.
/// Not thread-safe: <see cref="JsonConstraint"/> serializes access.
/// </summary>
internal sealed class GrammarAutomaton
{
    /// <summary>The state id of "no parse survives".</summary>
    public const int Dead = -1;
    const int Unknown = -2;

    readonly Grammar _g;
    readonly List<int> _stackTop = [-1], _stackBelow = [-1];
    readonly Dictionary<long, int> _stackIds = [];
    readonly List<int[]> _states = [];
    readonly Dictionary<int[], int> _stateIds = new(StackSetComparer.Instance);
    int[]?[] _asciiNext = new int[]?[64];
    Dictionary<char, int>?[] _otherNext = new Dictionary<char, int>?[64];
    (ulong Low, ulong High, int Target, bool Known)[] _uniform = new (ulong, ulong, int, bool)[64];
    UniformChain?[] _runs = new UniformChain?[64];
    readonly HashSet<int> _scratch = [];
    readonly HashSet<long> _expanded = [];

    public GrammarAutomaton(Grammar grammar)
    {
        _g = grammar;
        foreach (var start in _g.RuleStarts[_g.Root]) Expand(start, 0);
        Start = Intern();
    }

    /// <summary>The state before any character.</summary>
    public int Start { get; }

    /// <summary>Whether the characters read so far form a complete value.</summary>
    public bool IsComplete(int state) => _states[state][0] == 0; // sorted: the empty stack comes first

    /// <summary>Whether some continuation of the characters read so far is possible.</summary>
    public bool HasContinuation(int state) => _states[state].Length > (IsComplete(state) ? 1 : 0);

    /// <summary>The state after reading <paramref name="c"/> in <paramref name="state"/>, or <see cref="Dead"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Step(int state, char c)
    {
        // The mask walk's hot path: a known ASCII transition is two array loads.
        if (c < 128 && _asciiNext[state] is { } row && row[c] is var known and not Unknown) return known;
        return StepSlow(state, c);
    }

    int StepSlow(int state, char c)
    {
        if (c < 128)
        {
            var row = _asciiNext[state] ??= NewAsciiRow();
            return row[c] = Compute(state, c);
        }
        var others = _otherNext[state] ??= [];
        if (!others.TryGetValue(c, out var n)) others[c] = n = Compute(state, c);
        return n;
    }

    /// <summary>The state after reading <paramref name="text"/>, or <see cref="Dead"/>.</summary>
    public int Step(int state, string text)
    {
        foreach (var c in text)
            if ((state = Step(state, c)) == Dead) return Dead;
        return state;
    }

    /// <summary>
    /// The ASCII characters that may stand at every one of the next <paramref name="levels"/> positions from
    /// <paramref name="state"/> with each level stepping uniformly (see <see cref="UniformStep"/>) to a live state:
    /// any text of at most that length over them is readable. Cached per state and extended on demand, so the
    /// check costs O(1) per trie node however deep the subtree.
    /// </summary>
    public (ulong Low, ulong High) UniformRun(int state, int levels)
    {
        var run = _runs[state] ??= new UniformChain(state);
        while (run.Masks.Count < levels)
        {
            var (low, high) = run.Masks.Count == 0 ? (ulong.MaxValue, ulong.MaxValue) : run.Masks[^1];
            if ((low | high) == 0) return (0, 0);
            var step = UniformStep(run.End);
            run.Masks.Add((low & step.Low, high & step.High));
            run.End = step.Target;
        }
        return run.Masks[levels - 1];
    }

    /// <summary>The cumulative masks of <see cref="UniformRun"/> (index i: levels 0..i) and the state reached after them.</summary>
    sealed class UniformChain(int start)
    {
        public readonly List<(ulong Low, ulong High)> Masks = [];
        public int End = start;
    }

    /// <summary>
    /// The largest set of ASCII characters (bit c of Low/High for c below/above 64) that all lead from
    /// <paramref name="state"/> to one live state, Target: inside a string, every plain character (Target is the
    /// state itself without length bounds, the next count with them). Bit 0 is never set, so NUL and non-ASCII
    /// characters never belong to it.
    /// </summary>
    (ulong Low, ulong High, int Target) UniformStep(int state)
    {
        if (_uniform[state] is { Known: true } known) return (known.Low, known.High, known.Target);
        var targets = new int[128];
        for (char c = (char)1; c < 128; c++) targets[c] = Step(state, c);
        var target = targets.Skip(1).Where(t => t != Dead).GroupBy(t => t).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault(Dead);
        ulong low = 0, high = 0;
        for (int c = 1; c < 128; c++)
            if (targets[c] == target && target != Dead)
            {
                if (c < 64) low |= 1UL << c;
                else high |= 1UL << (c - 64);
            }
        _uniform[state] = (low, high, target, true); // after the steps: Step may have grown the array
        return (low, high, target);
    }

    static int[] NewAsciiRow()
    {
        var row = new int[128];
        Array.Fill(row, Unknown);
        return row;
    }

    int Compute(int state, char c)
    {
        foreach (var stack in _states[state])
        {
            if (stack == 0) continue;
            var top = _stackTop[stack];
            if (_g.Classes[_g.Arg[top]].Contains(c)) Expand(top + 1, _stackBelow[stack]);
        }
        if (_scratch.Count > 0) return Intern();
        _expanded.Clear();
        return Dead;
    }

    /// <summary>Adds to the scratch set every stack that continues at <paramref name="position"/> above <paramref name="below"/>, stopping at terminals.</summary>
    void Expand(int position, int below)
    {
        if (!_expanded.Add((long)position << 32 | (uint)below)) return;
        switch (_g.Kind[position])
        {
            case Grammar.End:
                if (below == 0) _scratch.Add(0);
                else Expand(_stackTop[below], _stackBelow[below]);
                break;
            case Grammar.Terminal:
                _scratch.Add(Push(position, below));
                break;
            default:
                // A reference followed by End is a tail call: nothing to resume, so nothing to push (keeps repetition flat).
                var resume = _g.Kind[position + 1] == Grammar.End ? below : Push(position + 1, below);
                foreach (var start in _g.RuleStarts[_g.Arg[position]]) Expand(start, resume);
                break;
        }
    }

    int Push(int position, int below)
    {
        var key = (long)position << 32 | (uint)below;
        if (_stackIds.TryGetValue(key, out var id)) return id;
        _stackTop.Add(position);
        _stackBelow.Add(below);
        return _stackIds[key] = _stackTop.Count - 1;
    }

    int Intern()
    {
        var stacks = _scratch.ToArray();
        Array.Sort(stacks);
        _scratch.Clear();
        _expanded.Clear();
        if (_stateIds.TryGetValue(stacks, out var id)) return id;
        id = _states.Count;
        _states.Add(stacks);
        _stateIds[stacks] = id;
        if (id == _asciiNext.Length)
        {
            Array.Resize(ref _asciiNext, id * 2);
            Array.Resize(ref _otherNext, id * 2);
            Array.Resize(ref _uniform, id * 2);
            Array.Resize(ref _runs, id * 2);
        }
        return id;
    }

    sealed class StackSetComparer : IEqualityComparer<int[]>
    {
        public static readonly StackSetComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] stacks)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stacks.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
