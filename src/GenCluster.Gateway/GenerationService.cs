using GenCluster.Gateway.V1;
using GenCluster.Grains;
using SessionStatus = GenCluster.Gateway.V1.SessionStatus;
using Grpc.Core;

namespace GenCluster.Gateway;

/// <summary>The gRPC service: each call is a few grain calls; tokens stream from the session grain, wherever it runs.</summary>
public sealed class GenerationService(IGrainFactory grains) : Generation.GenerationBase
{
    /// <inheritdoc />
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateEvent> stream, ServerCallContext context)
    {
        var model = await RequestTranslation.ResolveModelAsync(grains, request.Model);
        var order = await RequestTranslation.ToOrderAsync(grains, request, model, (ulong)Random.Shared.NextInt64());
        var id = SessionId.New(model, SessionNeeds.Of(order.Decoding));
        var session = grains.GetGrain<ISessionGrain>(id);
        await session.Start(order);
        try { await StreamAsync(id, 0, stream, context.CancellationToken); }
        catch (OperationCanceledException) when (order.CancelOnDisconnect && context.CancellationToken.IsCancellationRequested)
        {
            // A client gone before its watch began never was the session's watcher: cancel it here (no-op once ended).
            await session.Cancel();
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task Resume(ResumeRequest request, IServerStreamWriter<GenerateEvent> stream, ServerCallContext context)
    {
        SessionId.ModelOf(request.SessionId);
        await StreamAsync(request.SessionId, request.FromIndex, stream, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<SessionStatus> Cancel(SessionRequest request, ServerCallContext context) =>
        WireMapping.Status(await Session(request.SessionId).Cancel());

    /// <inheritdoc />
    public override async Task<SessionStatus> GetSession(SessionRequest request, ServerCallContext context) =>
        WireMapping.Status(await Session(request.SessionId).GetInfo());

    /// <inheritdoc />
    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        foreach (var (served, info) in await RequestTranslation.DescribeServedAsync(grains))
        {
            var description = new ModelDescription
            {
                Name = served.Name, Silos = served.Silos, Architecture = info.Architecture, VocabSize = info.VocabSize,
                MaxPositions = info.MaxPositions, HasTokenizer = info.HasTokenizer,
            };
            description.EosTokenIds.AddRange(info.EosTokenIds);
            response.Models.Add(description);
        }
        return response;
    }

    /// <inheritdoc />
    public override async Task<TokenizeResponse> Tokenize(TokenizeRequest request, ServerCallContext context)
    {
        var model = await RequestTranslation.ResolveModelAsync(grains, request.Model);
        var tokens = await grains.GetGrain<IModelGrain>(model).Tokenize(request.Text);
        var response = new TokenizeResponse();
        response.TokenIds.AddRange(tokens.TokenIds);
        response.Pieces.AddRange(tokens.Pieces);
        return response;
    }

    ISessionGrain Session(string sessionId)
    {
        SessionId.ModelOf(sessionId);
        return grains.GetGrain<ISessionGrain>(sessionId);
    }

    // Ending the watch (client gone) leaves the session running unless its order asked to cancel on disconnect.
    async Task StreamAsync(string sessionId, int from, IServerStreamWriter<GenerateEvent> stream, CancellationToken cancellation)
    {
        var session = grains.GetGrain<ISessionGrain>(sessionId);
        // One message per batch: while a write is in flight, the tokens decoded meanwhile gather into the next batch.
        // A silo dying under the session does not end the stream: the follower watches the revived session again.
        await foreach (var batch in SessionFollower.FollowAsync(session, from, cancellation))
            await stream.WriteAsync(WireMapping.Tokens(sessionId, batch), cancellation);
        await stream.WriteAsync(WireMapping.Summary(await session.GetInfo()), cancellation);
    }
}
