using System.Buffers;

namespace GenCluster.Sampling;

/// <summary>A vocabulary-sized scratch array rented from the shared pool and returned on Dispose, so a CPU decode step allocates no row buffers.</summary>
readonly struct PooledRow<T>(int length) : IDisposable
{
    readonly T[] _array = ArrayPool<T>.Shared.Rent(length);

    /// <summary>The first <c>length</c> elements (not cleared: whatever the previous renter left).</summary>
    public Span<T> Span => _array.AsSpan(0, length);

    /// <summary>Returns the array to the pool.</summary>
    public void Dispose() => ArrayPool<T>.Shared.Return(_array);
}
