using System.Collections;

namespace GenCluster.Decoding.Speculative;

/// <summary>
/// A read-only list whose elements are computed on first access and kept: the per-position distributions of a
/// verifying forward, of which acceptance reads only the rows up to the first rejection.
/// </summary>
sealed class LazyRows<T>(int count, Func<int, T> compute) : IReadOnlyList<T> where T : class
{
    readonly T?[] _rows = new T?[count];

    public int Count => _rows.Length;

    public T this[int index] => _rows[index] ??= compute(index);

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
