using System.Runtime.CompilerServices;
using GenCluster.Gateway.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace GenCluster.Client;

/// <summary>
/// .NET client of the gateway. <see cref="GenerateAsync"/> streams a generation and, if the stream breaks after the
/// session started (gateway restart, network), reconnects with Resume from the next index: no gap, no duplicate.
/// </summary>
public sealed class GenClusterClient : IDisposable
{
    readonly GrpcChannel _channel;

    /// <summary>A client of the gateway at <paramref name="address"/> (e.g. http://127.0.0.1:50051).</summary>
    public GenClusterClient(string address) : this(GrpcChannel.ForAddress(address)) { }

    /// <summary>A client over an existing channel.</summary>
    public GenClusterClient(GrpcChannel channel)
    {
        _channel = channel;
        Raw = new Generation.GenerationClient(channel);
    }

    /// <summary>The generated gRPC stub, for calls this class does not wrap.</summary>
    public Generation.GenerationClient Raw { get; }

    /// <summary>How many times a broken stream is resumed before the error is thrown.</summary>
    public int MaxResumes { get; init; } = 5;

    /// <summary>Streams a generation's events; the last one carries the summary.</summary>
    public async IAsyncEnumerable<GenerateEvent> GenerateAsync(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        string? session = null;
        int next = 0;
        for (int resumes = 0; ; resumes++)
        {
            using var call = session is null
                ? Raw.Generate(request, cancellationToken: cancellation)
                : Raw.Resume(new ResumeRequest { SessionId = session, FromIndex = next }, cancellationToken: cancellation);
            var events = call.ResponseStream.ReadAllAsync(cancellation).GetAsyncEnumerator(cancellation);
            while (true)
            {
                GenerateEvent e;
                try
                {
                    if (!await events.MoveNextAsync()) yield break;
                    e = events.Current;
                }
                catch (RpcException error) when (session is not null && resumes < MaxResumes && Transient(error.StatusCode))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * (resumes + 1)), cancellation);
                    break;
                }
                session = e.SessionId;
                if (e.Tokens is { Tokens.Count: > 0 } batch) next = batch.Tokens[^1].Index + 1;
                yield return e;
            }
        }
    }

    /// <summary>Streams a session's events from <paramref name="fromIndex"/>.</summary>
    public IAsyncEnumerable<GenerateEvent> ResumeAsync(string sessionId, int fromIndex, CancellationToken cancellation = default) =>
        Raw.Resume(new ResumeRequest { SessionId = sessionId, FromIndex = fromIndex }, cancellationToken: cancellation).ResponseStream.ReadAllAsync(cancellation);

    /// <summary>Cancels a session.</summary>
    public async Task<SessionStatus> CancelAsync(string sessionId, CancellationToken cancellation = default) =>
        await Raw.CancelAsync(new SessionRequest { SessionId = sessionId }, cancellationToken: cancellation);

    /// <summary>A session's status and output.</summary>
    public async Task<SessionStatus> GetSessionAsync(string sessionId, CancellationToken cancellation = default) =>
        await Raw.GetSessionAsync(new SessionRequest { SessionId = sessionId }, cancellationToken: cancellation);

    /// <summary>The served models.</summary>
    public async Task<IReadOnlyList<ModelDescription>> ListModelsAsync(CancellationToken cancellation = default) =>
        (await Raw.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellation)).Models;

    /// <summary>Token ids of a text under a model's tokenizer.</summary>
    public async Task<TokenizeResponse> TokenizeAsync(string model, string text, CancellationToken cancellation = default) =>
        await Raw.TokenizeAsync(new TokenizeRequest { Model = model, Text = text }, cancellationToken: cancellation);

    static bool Transient(StatusCode code) => code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted;

    /// <summary>Closes the channel.</summary>
    public void Dispose() => _channel.Dispose();
}
