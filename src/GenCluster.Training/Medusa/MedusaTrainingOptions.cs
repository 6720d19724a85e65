namespace GenCluster.Training.Medusa;

/// <summary>Settings of `gencluster train medusa` (Medusa-1: the base model stays frozen, only the heads learn).</summary>
public sealed record MedusaTrainingOptions
{
    /// <summary>The frozen base model folder.</summary>
    public required string ModelDir { get; init; }

    /// <summary>Training data: UTF-8 text (tokenized with the model's tokenizer.json) or whitespace/comma-separated token ids.</summary>
    public required string DataFile { get; init; }

    /// <summary>Where config.json and model.safetensors of the heads are written (vLLM's Medusa format).</summary>
    public required string OutputDir { get; init; }

    /// <summary>Number of heads; head k predicts the token 2 + k positions after the hidden state.</summary>
    public int NumHeads { get; init; } = 4;

    /// <summary>Residual blocks per head.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Tokens per window (capped by the model's context window).</summary>
    public int SequenceLength { get; init; } = 128;

    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.0;

    /// <summary>Head k's loss weight is decay^k (the Medusa paper uses 0.8).</summary>
    public double HeadLossDecay { get; init; } = 0.8;

    /// <summary>
    /// One LM head for every head, the base model's own, frozen (vLLM's original_lm_head): only the residual blocks
    /// train, the heads file holds one LM head instead of num_heads, and inference runs the heads' rows through it in
    /// one product.
    /// </summary>
    public bool SharedLmHead { get; init; }

    /// <summary>
    /// Self-distillation (the Medusa paper's section 2.3.2): when above zero, the heads learn from this many windows the frozen
    /// model writes itself (each starts with <see cref="DistillPromptTokens"/> tokens of the data at a random place, the rest
    /// is the model's own continuation), not from the data, so they predict what the model will say rather than what the
    /// text says: what greedy Medusa decoding accepts.
    /// </summary>
    public int SelfDistillWindows { get; init; }

    /// <summary>Tokens of the data that start each self-distilled window.</summary>
    public int DistillPromptTokens { get; init; } = 8;

    /// <summary>Sampling temperature of the self-distilled continuations; 0 is greedy (argmax).</summary>
    public double DistillTemperature { get; init; }

    /// <summary>Seed of the window sampler (and of self-distillation's prompts and draws).</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Report progress every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public MedusaTrainingOptions Validate()
    {
        if (NumHeads < 1) throw new ArgumentException($"num_heads must be >= 1, got {NumHeads}");
        if (NumLayers < 1) throw new ArgumentException($"num_layers must be >= 1, got {NumLayers}");
        if (Steps < 1) throw new ArgumentException($"steps must be >= 1, got {Steps}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {BatchSize}");
        if (SequenceLength < NumHeads + 3) throw new ArgumentException($"sequence length must be >= num_heads + 3 = {NumHeads + 3}, got {SequenceLength}");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be > 0, got {LearningRate}");
        if (SelfDistillWindows < 0) throw new ArgumentException($"self-distill windows must be >= 0, got {SelfDistillWindows}");
        if (SelfDistillWindows > 0 && (DistillPromptTokens < 1 || DistillPromptTokens >= SequenceLength))
            throw new ArgumentException($"distill prompt tokens must be in [1, sequence length {SequenceLength}), got {DistillPromptTokens}");
        if (!(DistillTemperature >= 0)) throw new ArgumentException($"distill temperature must be >= 0, got {DistillTemperature}");
        if (!File.Exists(DataFile)) throw new ArgumentException($"training data not found: {DataFile}");
        return this;
    }
}

/// <summary>One progress report: the step, the weighted loss and each head's cross-entropy and top-1 accuracy on the batch.</summary>
public sealed record MedusaTrainingProgress(int Step, int TotalSteps, double Loss, IReadOnlyList<double> HeadLosses, IReadOnlyList<double> HeadAccuracies);
