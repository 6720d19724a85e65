using TorchSharp;

namespace GenCluster.Models.Runtime;

/// <summary>
/// Scalars for torch ops, created once and kept referenced. TorchSharp turns a number operand (x + 1e-5, x.pow(2),
/// and the alpha = 1 of every tensor + tensor) into a native Scalar owned only by a finalizer; nothing keeps it alive
/// while the native op reads it, so a garbage collection on another thread can free it mid-op. The symptom is
/// "Unknown scalar type." or "INTERNAL ASSERT FAILED at c10/core/Scalar.h" (or a crash) from a random op: a loop of
/// RMSNorm's ops beside a thread that collects garbage failed within seconds, and ran 400k iterations clean with these.
/// Tensors are safe inside a dispose scope (the scope references them); scalars are not tracked by scopes.
/// </summary>
public static class HeldScalars
{
    /// <summary>The alpha of a plain add (a + 1 · b): pass it explicitly, x.add(y, One), instead of x + y.</summary>
    public static readonly Scalar One = 1.ToScalar();
}
