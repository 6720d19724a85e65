using TorchSharp;

namespace GenCluster.Sampling;

/// <summary>
/// One stage of next-token scoring, as transformers' LogitsProcessor, in two forms with the same formula and order:
/// torch ops over a batch ([batch, seq] int64 ids, [batch, vocab] scores; any device), and in place over one float32
/// row in memory (the CPU path: no torch op per stage, see <see cref="RowProcessing"/>).
/// </summary>
public interface ILogitsProcessor
{
    /// <summary>Returns the processed scores (a new tensor; <paramref name="scores"/> is not modified). <paramref name="inputIds"/> holds the prompt and the tokens generated so far.</summary>
    torch.Tensor Process(torch.Tensor inputIds, torch.Tensor scores);

    /// <summary>
    /// Processes one row of scores in place: <paramref name="inputIds"/> is that row's prompt and generated tokens,
    /// <paramref name="scores"/> its [vocab] scores. Equal to <see cref="Process"/> up to float rounding (probabilities
    /// are computed in float64 here), so a kept set can differ only where a token sits on a threshold within rounding;
    /// tokens tied at a cutoff rank the lower token id higher (torch's sort leaves their order unspecified).
    /// </summary>
    void ProcessRow(ReadOnlySpan<long> inputIds, Span<float> scores);
}
