using System.Text.Json;
using GenCluster.Training.Modeling;
using TorchSharp.Modules;

namespace GenCluster.Training.LanguageModel;

/// <summary>Where a run stands: steps done, wall time spent, last validation loss, and the model shape.</summary>
public sealed record CheckpointState(int Step, double ElapsedSeconds, double? LastValidationLoss, LlamaShape Shape);

/// <summary>Saves and restores a training run (weights, AdamW moments, step) in RunDir/checkpoint, replaced atomically.</summary>
/// <remarks>Batches are drawn from a generator seeded by (seed, step), so the step alone restores the data order.</remarks>
public static class TrainingCheckpoint
{
    const string Folder = "checkpoint";

    /// <summary>Writes the checkpoint to a temporary folder, then swaps it in, so an interrupted save leaves the previous one intact.</summary>
    public static void Save(string runDir, LlamaCausalLm model, OptimizerHelper optimizer, CheckpointState state)
    {
        var final = Path.Combine(runDir, Folder);
        var temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        model.save(Path.Combine(temp, "model.bin"));
        optimizer.save_state_dict(Path.Combine(temp, "optimizer.bin"));
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }));
        var old = final + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(temp, final);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>The saved state without loading weights, or null when the run has no checkpoint.</summary>
    public static CheckpointState? Peek(string runDir)
    {
        var folder = Existing(runDir);
        return folder is null ? null : JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(folder, "state.json")));
    }

    /// <summary>Loads weights (and optimizer moments if given) into the objects; null when there is no checkpoint.</summary>
    public static CheckpointState? TryLoad(string runDir, LlamaCausalLm model, OptimizerHelper? optimizer)
    {
        var state = Peek(runDir);
        if (state is null) return null;
        if (state.Shape != model.Shape)
            throw new InvalidOperationException($"the checkpoint in {runDir} has shape {state.Shape}, the options ask for {model.Shape}; use another --run-dir");
        var folder = Existing(runDir)!;
        model.load(Path.Combine(folder, "model.bin"));
        optimizer?.load_state_dict(Path.Combine(folder, "optimizer.bin"));
        return state;
    }

    // A crash between the two moves in Save leaves only checkpoint.old.
    static string? Existing(string runDir) =>
        new[] { Folder, Folder + ".old" }.Select(f => Path.Combine(runDir, f)).FirstOrDefault(f => File.Exists(Path.Combine(f, "state.json")));
}
