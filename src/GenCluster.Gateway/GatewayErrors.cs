using GenCluster.Grains;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GenCluster.Gateway;

/// <summary>
/// Maps cluster exceptions to gRPC status codes in one place: bad request INVALID_ARGUMENT (the field in the message
/// and in the "field" trailer), unknown model or session NOT_FOUND, no KV room RESOURCE_EXHAUSTED.
/// </summary>
public sealed class GatewayErrors : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(request, context); }
        catch (Exception e) when (ToRpc(e, context) is { } rpc) { throw rpc; }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(request, responseStream, context); }
        catch (Exception e) when (ToRpc(e, context) is { } rpc) { throw rpc; }
    }

    /// <summary>The RPC error for a cluster exception (searched through inner exceptions), or null to let it through.</summary>
    public static RpcException? ToRpc(Exception error, ServerCallContext? context = null)
    {
        if (error is RpcException) return null;
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case InvalidRequestException bad:
                    return new RpcException(new Status(StatusCode.InvalidArgument, bad.Message), new Metadata { { "field", bad.Field } });
                case ModelNotServedException or SessionNotFoundException:
                    return new RpcException(new Status(StatusCode.NotFound, e.Message));
                case CapacityExceededException:
                    return new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
                case OperationCanceledException when context?.CancellationToken.IsCancellationRequested == true:
                    return new RpcException(new Status(StatusCode.Cancelled, "the client went away"));
            }
        }
        return null;
    }
}
