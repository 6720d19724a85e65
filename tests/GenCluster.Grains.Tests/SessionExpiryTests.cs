using GenCluster.Grains.Hosting;

namespace GenCluster.Grains.Tests;

public sealed class SessionExpiryTests
{
    [Fact]
    public async Task AFinishedSessionIsForgottenAfterItsTimeToLive()
    {
        await using var cluster = await TestCluster.StartAsync(1, _ => new ModelHostingOptions
        {
            FinishedSessionTtl = TimeSpan.FromMilliseconds(300), Models = [TestCluster.Llama()],
        });
        var session = cluster.Client.GetGrain<ISessionGrain>(SessionId.New(TestCluster.Model));
        await session.Start(Generations.Order(new SamplingSpec { MaxNewTokens = 3 }));
        await Generations.ReadAllAsync(session.Watch(0));

        Assert.Equal(SessionStatus.Finished, (await session.GetInfo()).Status);
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => session.GetInfo());
        await Assert.ThrowsAsync<SessionNotFoundException>(() => session.Cancel());
    }
}
