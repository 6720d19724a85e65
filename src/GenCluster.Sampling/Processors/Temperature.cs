using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// Temperature scaling, scores / T (transformers' TemperatureLogitsWarper; GPT-2 sample.py). T &lt; 1 sharpens,
/// T &gt; 1 flattens the distribution; T = 0 is handled as greedy by <see cref="LogitsPipeline"/>, never divided by.
/// </summary>
public sealed class Temperature(double value) : ILogitsProcessor
{
    /// <summary>The divisor T (&gt; 0).</summary>
    public double Value { get; } = value > 0 ? value : throw new SamplingParamsException("temperature", value, "> 0 for the temperature processor (0 means greedy: no processor)");

    /// <inheritdoc />
    public Tensor Process(Tensor inputIds, Tensor scores) => scores.div(Value);

    /// <inheritdoc />
    /// <remarks>torch divides a float32 tensor by the scalar cast to float32; so does this, element by element.</remarks>
    public void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores)
    {
        float t = (float)Value;
        int i = 0;
        for (; i + 8 <= scores.Length; i += 8)
            (Vector256.Create(scores.Slice(i, 8)) / t).CopyTo(scores.Slice(i, 8));
        for (; i < scores.Length; i++) scores[i] /= t;
    }
}
