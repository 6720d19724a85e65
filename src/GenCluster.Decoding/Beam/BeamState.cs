namespace GenCluster.Decoding.Beam;

/// <summary>A running beam: its generated tokens and the sum of their (processed) log-probs.</summary>
public sealed record BeamRow(long[] Tokens, float Score);

/// <summary>A finished hypothesis: generated tokens (ending with the EOS token when it finished on one) and its length-penalised score.</summary>
public sealed record BeamHypothesis(long[] Tokens, double Score, bool EndsWithEos);

/// <summary>
/// Everything a beam search needs to continue, as plain data a host can persist (JSON, Orleans state) and hand to a
/// new <see cref="BeamSearch"/> on any machine: rebuilding prefills each beam's tokens, no tensor is stored.
/// </summary>
/// <param name="Prompt">The prompt actually used (after any truncation).</param>
/// <param name="Step">Tokens generated so far by every beam.</param>
/// <param name="Beams">The num_beams running beams, best first.</param>
/// <param name="Finished">The finished hypotheses kept so far.</param>
/// <param name="Done">True once the search has ended (hypotheses final).</param>
public sealed record BeamState(long[] Prompt, int Step, BeamRow[] Beams, BeamHypothesis[] Finished, bool Done);

/// <summary>Progress after a step: the best hypothesis so far (finished, or running with its score normalised the same way).</summary>
public sealed record BeamProgress(int Step, long[] BestTokens, double BestScore, int FinishedHypotheses, bool IsFinished);
