namespace GenCluster.Decoding;

/// <summary>Fits a prompt and its token budget into the model's context window under a <see cref="ContextOverflow"/> policy.</summary>
public static class ContextWindow
{
    /// <summary>The prompt to use: unchanged when it fits, left-truncated, or an error.</summary>
    public static long[] Fit(IReadOnlyList<long> prompt, int maxNewTokens, int maxPositions, ContextOverflow policy)
    {
        if (prompt.Count + maxNewTokens <= maxPositions || policy == ContextOverflow.Slide)
            return policy == ContextOverflow.Slide && prompt.Count > maxPositions ? prompt.Skip(prompt.Count - maxPositions).ToArray() : prompt.ToArray();
        if (policy == ContextOverflow.Error)
            throw new ContextOverflowException($"prompt ({prompt.Count} tokens) + max_new_tokens ({maxNewTokens}) exceeds the model's context window of {maxPositions} positions; shorten the prompt, lower max_new_tokens, or use --context-overflow truncate-left|slide");
        int keep = maxPositions - maxNewTokens;
        if (keep < 1)
            throw new ContextOverflowException($"max_new_tokens ({maxNewTokens}) leaves no room for the prompt in a {maxPositions}-position context window; lower it or use --context-overflow slide");
        return prompt.Skip(prompt.Count - keep).ToArray();
    }
}
