using TorchSharp;

namespace GenCluster.Sampling;

/// <summary>One stage of next-token scoring, as transformers' LogitsProcessor: [batch, seq] int64 ids and [batch, vocab] float32 scores in, new processed scores out.</summary>
public interface ILogitsProcessor
{
    /// <summary>Returns the processed scores (a new tensor; <paramref name="scores"/> is not modified). <paramref name="inputIds"/> holds the prompt and the tokens generated so far.</summary>
    torch.Tensor Process(torch.Tensor inputIds, torch.Tensor scores);
}
