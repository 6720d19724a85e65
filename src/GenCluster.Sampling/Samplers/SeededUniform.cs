namespace GenCluster.Sampling.Samplers;

/// <summary>
/// Counter-based uniform numbers: u = f(seed, step, stream) with no hidden state, so any draw of a generation can be
/// recomputed anywhere (a session resumed on another silo draws exactly what an uninterrupted run would have).
/// </summary>
/// <remarks>
/// f chains the SplitMix64 finalizer (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators")
/// over the three counters and keeps the top 53 bits: u = (h &gt;&gt; 11) * 2^-53, uniform in [0, 1). Statistically
/// sound for sampling, not cryptographic. Streams separate independent draws of one step (stream 0: the token draw;
/// speculative sampling uses other streams for its accept tests and residual draws).
/// </remarks>
public static class SeededUniform
{
    const ulong Golden = 0x9E3779B97F4A7C15; // 2^64 / phi, SplitMix64's increment

    /// <summary>The uniform in [0, 1) for (seed, step, stream).</summary>
    public static double Next(ulong seed, long step, uint stream = 0)
    {
        var h = Mix(seed + Golden);
        h = Mix(h ^ ((ulong)step + 1) * Golden);
        h = Mix(h ^ ((ulong)stream + 1) * 0xD1B54A32D192ED03);
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>An independent seed for sub-sequence <paramref name="index"/> of a request (e.g. completion i of n).</summary>
    public static ulong Derive(ulong seed, ulong index) => Mix(Mix(seed ^ 0x5851F42D4C957F2D) + (index + 1) * Golden);

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
