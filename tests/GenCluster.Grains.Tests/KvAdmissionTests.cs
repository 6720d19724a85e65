using GenCluster.Grains.Models;

namespace GenCluster.Grains.Tests;

public sealed class KvAdmissionTests
{
    [Fact]
    public async Task AdmitsWithinTheBudgetAndQueuesInOrderUntilRoomIsFreed()
    {
        var admission = new KvAdmission("m", 100);
        await admission.AdmitAsync("a", 60, TimeSpan.Zero);
        var b = admission.AdmitAsync("b", 50, TimeSpan.FromSeconds(30));
        var c = admission.AdmitAsync("c", 10, TimeSpan.FromSeconds(30));

        Assert.False(b.IsCompleted);
        Assert.False(c.IsCompleted); // FIFO: c fits but waits behind b
        admission.Release("a");
        await Task.WhenAll(b, c);
        Assert.Equal(60, admission.Used);
        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task RefusesAfterTheTimeoutAndAtOnceWhenLargerThanTheBudget()
    {
        var admission = new KvAdmission("m", 100);
        await admission.AdmitAsync("a", 100, TimeSpan.Zero);

        var full = await Assert.ThrowsAsync<CapacityExceededException>(() => admission.AdmitAsync("b", 1, TimeSpan.FromMilliseconds(50)));
        var huge = await Assert.ThrowsAsync<CapacityExceededException>(() => admission.AdmitAsync("c", 101, TimeSpan.FromSeconds(30)));

        Assert.Contains("at capacity (100 of 100", full.Message);
        Assert.Contains("needs 101 KV-cache token slots, the budget is 100", huge.Message);
        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task ASessionAlreadyAdmittedIsAdmittedAgainWithoutASecondReservation()
    {
        var admission = new KvAdmission("m", 100);
        await admission.AdmitAsync("a", 70, TimeSpan.Zero);
        await admission.AdmitAsync("a", 70, TimeSpan.Zero);
        Assert.Equal(70, admission.Used);
    }
}
