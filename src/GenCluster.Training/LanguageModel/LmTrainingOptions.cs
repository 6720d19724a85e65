using GenCluster.Training.Modeling;

namespace GenCluster.Training.LanguageModel;

/// <summary>Everything `gencluster train lm` needs: data, model shape, optimisation and bookkeeping.</summary>
/// <param name="DataDir">Folder with train.txt and valid.txt (one passage per line), e.g. from scripts/make-corpus.sh.</param>
/// <param name="TokenizerDir">Folder with tokenizer.json (and tokenizer_config.json), e.g. from `train tokenizer`.</param>
/// <param name="RunDir">Checkpoints and logs; an existing checkpoint there is resumed.</param>
/// <param name="OutDir">Hugging Face export folder written at the end (null: no export).</param>
/// <param name="TimeBudgetMinutes">Optional wall-clock budget (summed over resumes): the cosine decay follows elapsed time
/// when that is further along than the step count, and training stops when the budget is spent.</param>
/// <param name="GrowFrom">A trained smaller Hugging Face Llama folder the new run starts from (<see cref="ModelGrowth"/>):
/// the first step's model computes its function (its norms' eps scaled by <see cref="ModelGrowth.Shape"/>, so a resumed
/// run needs the same folder); its weights are not read when RunDir has a checkpoint.</param>
public sealed record LmTrainingOptions(
    string DataDir,
    string TokenizerDir,
    string RunDir,
    string? OutDir,
    int Steps,
    int HiddenSize = 256,
    int IntermediateSize = 768,
    int Layers = 6,
    int Heads = 8,
    int KvHeads = 4,
    int Context = 256,
    bool TieEmbeddings = true,
    int BatchSize = 16,
    double LearningRate = 1e-3,
    double MinLearningRate = 1e-4,
    int WarmupSteps = 100,
    double WeightDecay = 0.1,
    double ClipNorm = 1.0,
    int CheckpointEvery = 100,
    int EvalEvery = 200,
    int LogEvery = 10,
    int Seed = 1234,
    int Threads = 2,
    string ExportDtype = "bf16",
    double? TimeBudgetMinutes = null,
    string? GrowFrom = null)
{
    /// <summary>The model shape for a tokenizer of <paramref name="vocabSize"/> tokens.</summary>
    public LlamaShape Shape(int vocabSize) =>
        new(vocabSize, HiddenSize, IntermediateSize, Layers, Heads, KvHeads, Context, TieWordEmbeddings: TieEmbeddings);
}
