using System.Text.Json;
using GenCluster.Grains;
using Microsoft.AspNetCore.Http;

namespace GenCluster.Gateway.OpenAi;

/// <summary>An error in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c> with its HTTP status.</summary>
internal sealed record OpenAiError(int Status, string Message, string Type, string? Param = null, string? Code = null) : IResult
{
    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        Write(json);
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    /// <summary>Writes the "error" member.</summary>
    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        json.WriteString("param", Param);
        json.WriteString("code", Code);
        json.WriteEndObject();
    }
}

/// <summary>Maps cluster exceptions to OpenAI-style HTTP errors, as <see cref="GatewayErrors"/> does for gRPC.</summary>
internal static class OpenAiErrors
{
    /// <summary>The HTTP error for a cluster exception (searched through inner exceptions), or null to let it through.</summary>
    public static OpenAiError? From(Exception error) => RequestErrors.Find(error) switch
    {
        InvalidRequestException bad => new OpenAiError(StatusCodes.Status400BadRequest, bad.Message, "invalid_request_error", bad.Field),
        ModelNotServedException missing => new OpenAiError(StatusCodes.Status404NotFound, missing.Message, "invalid_request_error", "model", "model_not_found"),
        SessionNotFoundException gone => new OpenAiError(StatusCodes.Status404NotFound, gone.Message, "invalid_request_error"),
        CapacityExceededException full => new OpenAiError(StatusCodes.Status503ServiceUnavailable, full.Message, "server_overloaded", null, "capacity_exceeded"),
        _ => null,
    };

    /// <summary>A missing or wrong API key.</summary>
    public static OpenAiError Unauthorized() =>
        new(StatusCodes.Status401Unauthorized, "missing or wrong API key: send Authorization: Bearer <key>", "invalid_request_error", null, "invalid_api_key");

    /// <summary>An error after a stream has started: one <c>data:</c> event with the error, then <c>[DONE]</c> (as vLLM does).</summary>
    public static async Task WriteEventAsync(HttpResponse response, OpenAiError error, CancellationToken cancellation)
    {
        await OpenAiAnswer.WriteEventAsync(response, error.Write, cancellation);
        await OpenAiAnswer.WriteDoneAsync(response, cancellation);
    }
}
