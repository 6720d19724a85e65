using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenCluster.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GenCluster.Gateway.OpenAi;

/// <summary>
/// The OpenAI-compatible HTTP API, as vLLM and TGI serve it: GET /v1/models, POST /v1/completions and
/// POST /v1/chat/completions (JSON or server-sent events), GET /health. Each request becomes a session grain, like a
/// gRPC Generate; a client that goes away cancels its generation. With an API key configured, /v1 wants
/// <c>Authorization: Bearer KEY</c>.
/// </summary>
public static class OpenAiEndpoints
{
    /// <summary>Maps the API; <paramref name="apiKey"/> null or empty leaves it open.</summary>
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder endpoints, string? apiKey = null)
    {
        endpoints.MapGet("/health", () => Results.Ok());
        var v1 = endpoints.MapGroup("/v1");
        if (!string.IsNullOrEmpty(apiKey)) v1.AddEndpointFilter(async (context, next) => Authorized(context.HttpContext, apiKey) ? await next(context) : OpenAiErrors.Unauthorized());
        v1.MapGet("/models", ListModelsAsync);
        v1.MapPost("/completions", (HttpContext http) => CompleteAsync(http, chat: false));
        v1.MapPost("/chat/completions", (HttpContext http) => CompleteAsync(http, chat: true));
        return endpoints;
    }

    static bool Authorized(HttpContext http, string apiKey)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(apiKey));
    }

    static async Task<IResult> ListModelsAsync(IGrainFactory grains)
    {
        var data = (await RequestTranslation.DescribeServedAsync(grains)).Select(m => new Dictionary<string, object>
        {
            ["id"] = m.Served.Name, ["object"] = "model", ["created"] = 0, ["owned_by"] = "gencluster", ["max_model_len"] = m.Info.MaxPositions,
        }).ToList();
        return Results.Json(new Dictionary<string, object> { ["object"] = "list", ["data"] = data });
    }

    static async Task CompleteAsync(HttpContext http, bool chat)
    {
        var grains = http.RequestServices.GetRequiredService<IGrainFactory>();
        var cancellation = http.RequestAborted;
        bool streaming = false;
        ISessionGrain? session = null;
        try
        {
            using var body = await ReadBodyAsync(http, cancellation);
            var request = OpenAiRequest.Parse(body.RootElement, chat);
            var model = await RequestTranslation.ResolveModelAsync(grains, request.Generate.Model);
            var order = await RequestTranslation.ToOrderAsync(grains, request.Generate, model, (ulong)Random.Shared.NextInt64());
            var modelGrain = grains.GetGrain<IModelGrain>(model);
            if (chat && !request.MaxTokensGiven)
            {
                // As vLLM: a chat answer without max_tokens may use whatever the context window leaves.
                int room = (await modelGrain.Describe()).MaxPositions - order.Prompts[0].Length;
                order = order with { Sampling = order.Sampling with { MaxNewTokens = Math.Max(1, room) } };
            }
            var sessionId = SessionId.New(model);
            session = grains.GetGrain<ISessionGrain>(sessionId);
            await session.Start(order);
            var answer = new OpenAiAnswer(request, model, sessionId, modelGrain);
            // The session id (as vLLM names its request id header), for GetSession/Cancel over gRPC and for logs.
            http.Response.Headers["x-request-id"] = sessionId;
            if (request.Stream)
            {
                await OpenAiAnswer.StartStreamAsync(http.Response, cancellation);
                streaming = true;
                await foreach (var batch in SessionFollower.FollowAsync(session, 0, cancellation))
                {
                    await answer.ResolveTextsAsync(batch);
                    foreach (var e in batch) await answer.WriteChunkAsync(http.Response, e, cancellation);
                }
                await answer.EndStreamAsync(http.Response, await session.GetInfo(), cancellation);
            }
            else
            {
                await foreach (var batch in SessionFollower.FollowAsync(session, 0, cancellation))
                    foreach (var e in batch) answer.Add(e);
                await answer.WriteCompletionAsync(http.Response, await session.GetInfo(), cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away. Its session cancels itself when its last watcher leaves (CancelOnDisconnect), but a
            // client gone before the watch began never was a watcher: cancel it here too (a no-op on an ended session).
            if (session is not null) await session.Cancel();
        }
        catch (Exception e) when (OpenAiErrors.From(e) is { } error)
        {
            if (streaming) await OpenAiErrors.WriteEventAsync(http.Response, error, cancellation);
            else await error.ExecuteAsync(http);
        }
    }

    static async Task<JsonDocument> ReadBodyAsync(HttpContext http, CancellationToken cancellation)
    {
        try { return await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellation); }
        catch (JsonException e) { throw new InvalidRequestException("body", $"the request body is not valid JSON: {e.Message}"); }
    }
}
