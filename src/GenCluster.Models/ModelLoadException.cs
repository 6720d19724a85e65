namespace GenCluster.Models;

/// <summary>A model folder could not be loaded; the message says which file and what to do.</summary>
public class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A file the model folder needs is missing.</summary>
public sealed class ModelFileMissingException(string message) : ModelLoadException(message);

/// <summary>config.json names an architecture GenCluster does not implement.</summary>
public sealed class UnsupportedArchitectureException(string message) : ModelLoadException(message);

/// <summary>A checkpoint file is truncated, corrupt or does not match config.json.</summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : ModelLoadException(message, inner);
