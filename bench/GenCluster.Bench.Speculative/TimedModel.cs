using System.Diagnostics;
using GenCluster.Models.Config;
using GenCluster.Models.Runtime;
using static TorchSharp.torch;

/// <summary>A target model that counts its forwards and the wall time spent in them (the model belongs to the caller).</summary>
sealed class TimedModel(ICausalLM inner) : ICausalLM
{
    /// <summary>Forwards since the last <see cref="Reset"/>.</summary>
    public int Calls { get; private set; }

    /// <summary>Seconds inside those forwards.</summary>
    public double Seconds { get; private set; }

    public void Reset() => (Calls, Seconds) = (0, 0);

    public ModelConfig Config => inner.Config;

    public Device Device => inner.Device;

    public ScalarType Dtype => inner.Dtype;

    public KvCache CreateCache(int batchSize, int capacity = 0) => inner.CreateCache(batchSize, capacity);

    public ForwardResult Forward(ForwardRequest request, KvCache cache)
    {
        long start = Stopwatch.GetTimestamp();
        var result = inner.Forward(request, cache);
        Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        Calls++;
        return result;
    }

    public void Dispose() { }
}
