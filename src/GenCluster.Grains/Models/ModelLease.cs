using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace GenCluster.Grains.Models;

/// <summary>
/// A session's admission to a model host: the loaded model itself (weights, and through the session the KV cache).
/// It travels only in local calls, which pass it by reference ([Immutable]); it never leaves its silo.
/// </summary>
[Immutable]
public sealed class ModelLease(string sessionId, long kvTokens, LocalModel model)
{
    /// <summary>The admitted session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>KV-cache token slots reserved for it.</summary>
    public long KvTokens { get; } = kvTokens;

    /// <summary>The model, on this silo.</summary>
    public LocalModel Model { get; } = model;
}

/// <summary>Serializing a tensor-carrying message means it was about to leave its silo: refuse loudly.</summary>
[GenerateSerializer, Alias("GenCluster.LocalOnlyMessageException")]
public sealed class LocalOnlyMessageException(Type type)
    : InvalidOperationException($"{type.Name} carries a loaded model (tensors) and cannot leave its silo: the caller must be placed on the model's silo (ModelAffinityPlacement)");

/// <summary>The codec Orleans finds for <see cref="ModelLease"/>: it throws instead of writing bytes.</summary>
[RegisterSerializer]
public sealed class ModelLeaseCodec : IFieldCodec<ModelLease>
{
    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, ModelLease? value)
        where TBufferWriter : IBufferWriter<byte> => throw new LocalOnlyMessageException(typeof(ModelLease));

    /// <inheritdoc />
    public ModelLease ReadValue<TInput>(ref Reader<TInput> reader, Field field) => throw new LocalOnlyMessageException(typeof(ModelLease));
}
