using System.Text.Json;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.Tests.Contract;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.Core.Tests.Activities;

/// <summary>The webhook and the Event Grid topic, each delivered to a real HTTP listener started by the test.</summary>
public sealed class CompletionNotifierTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static readonly CompletionMessage Message = new(
        "bf-0123456789abcdef", BatchOutcome.Succeeded, "batch-input", "café.jsonl", 3, 3, 0, 0, "http://r/results.jsonl", null, "http://r/summary.json", null, null, Message: "3 of 3 succeeded");

    private static readonly DateTimeOffset Now = new(2026, 12, 2, 8, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task NotifyAsync_WithSecret_SignsTheBytesSentAsStandardWebhooksDescribe()
    {
        await using var listener = await NotificationListener.StartAsync();

        await Notifier(new NotificationOptions { WebhookUrl = listener.Url("/hook"), WebhookSecret = Secret }).NotifyAsync(Message);

        var delivery = Assert.Single(listener.Received);
        Assert.Equal(Message.Id, delivery.Headers["webhook-id"]);
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), delivery.Headers["webhook-timestamp"]);
        Assert.True(NotificationListener.VerifyStandardWebhook(Secret, delivery.Headers, delivery.Body), "the receiver's check of the signature");
        Assert.Equal("Succeeded", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("status").GetString());

        // The signature covers the body and the id: any change is detected.
        var tampered = (byte[])delivery.Body.Clone();
        tampered[^2] ^= 1;
        Assert.False(NotificationListener.VerifyStandardWebhook(Secret, delivery.Headers, tampered));
        Assert.False(NotificationListener.VerifyStandardWebhook(Secret, new Dictionary<string, string>(delivery.Headers) { ["webhook-id"] = "bf-other" }, delivery.Body));
        Assert.False(NotificationListener.VerifyStandardWebhook("whsec_" + Convert.ToBase64String(new byte[24]), delivery.Headers, delivery.Body));
    }

    [Fact]
    public async Task NotifyAsync_WithoutSecret_SendsTheIdAndTimestampButNoSignature()
    {
        await using var listener = await NotificationListener.StartAsync();

        await Notifier(new NotificationOptions { WebhookUrl = listener.Url("/hook") }).NotifyAsync(Message);

        var delivery = Assert.Single(listener.Received);
        Assert.Equal(Message.Id, delivery.Headers["webhook-id"]);
        Assert.False(delivery.Headers.ContainsKey("webhook-signature"));
    }

    [Fact]
    public async Task NotifyAsync_TopicConfigured_PublishesOneBatchCompletedCloudEvent()
    {
        await using var listener = await NotificationListener.StartAsync();

        await Notifier(new NotificationOptions { EventGridTopicEndpoint = listener.Url("/api/events"), EventGridTopicKey = "topic-key-1" }).NotifyAsync(Message);

        var delivery = Assert.Single(listener.Received);
        Assert.Equal("/api/events", delivery.Path);
        Assert.Equal("topic-key-1", delivery.Headers["aeg-sas-key"]);
        Assert.StartsWith("application/cloudevents-batch+json", delivery.Headers["Content-Type"], StringComparison.Ordinal);
        var cloudEvent = Assert.Single(JsonDocument.Parse(delivery.Body).RootElement.EnumerateArray());
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.Equal("BatchFunctions.BatchCompleted", cloudEvent.GetProperty("type").GetString());
        Assert.Equal(Message.Id, cloudEvent.GetProperty("id").GetString());
        Assert.Equal("/batchfunctions/batches", cloudEvent.GetProperty("source").GetString());
        Assert.Equal($"batches/{Message.Id}", cloudEvent.GetProperty("subject").GetString());
        Assert.Equal(Now, cloudEvent.GetProperty("time").GetDateTimeOffset());
        var data = cloudEvent.GetProperty("data");
        Assert.Equal(("Succeeded", 3L, "café.jsonl", "http://r/results.jsonl"), (data.GetProperty("status").GetString(), data.GetProperty("succeeded").GetInt64(), data.GetProperty("input_name").GetString(), data.GetProperty("results").GetString()));
    }

    [Fact]
    public async Task NotifyAsync_TopicUnavailableOnce_RetriesInItsPipelineAndPublishesOnce()
    {
        await using var listener = await NotificationListener.StartAsync(failFirst: 1);

        await Notifier(new NotificationOptions { EventGridTopicEndpoint = listener.Url("/api/events"), EventGridTopicKey = "k" }).NotifyAsync(Message);

        Assert.Equal(2, listener.Attempts);
        Assert.Single(listener.Received);
    }

    [Fact]
    public async Task NotifyAsync_TopicRefusing_LogsWithoutTheKeyAndDoesNotThrow()
    {
        await using var listener = await NotificationListener.StartAsync(failFirst: int.MaxValue, failure: 401);
        var logs = new Microsoft.Extensions.Logging.Testing.FakeLogger<CompletionEventPublisher>();
        var options = Options.Create(new NotificationOptions { EventGridTopicEndpoint = listener.Url("/api/events"), EventGridTopicKey = "never-logged-key" });

        await new CompletionEventPublisher(options, Options.Create(new BatchStorageOptions()), logs).PublishAsync(Message, Now);

        var record = Assert.Single(logs.Collector.GetSnapshot());
        Assert.Contains("401", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("never-logged-key", record.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "Notifications:WebhookSecret must be whsec_")]
    [InlineData("whsec_c2hvcnQ=", "Notifications:WebhookSecret must be whsec_")]
    [InlineData("whsec_not base64!", "Notifications:WebhookSecret must be whsec_")]
    public void AddBatchFunctionsCore_MalformedWebhookSecret_FailsAtStartNamingTheSetting(string secret, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Notifications:WebhookUrl"] = "https://hooks.example.com/batch",
            ["Notifications:WebhookSecret"] = secret,
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<NotificationOptions>>().Value);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBatchFunctionsCore_TopicOverPlainHttpWithoutKey_FailsAtStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Notifications:EventGridTopicEndpoint"] = "http://topic.example.com/api/events" }).Build();
        using var services = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<NotificationOptions>>().Value);

        Assert.Contains("Notifications:EventGridTopicEndpoint must be an absolute https URL", error.Message, StringComparison.Ordinal);
    }

    private static CompletionNotifier Notifier(NotificationOptions options)
    {
        var wrapped = Options.Create(options);
        return new CompletionNotifier(
            new HttpClient(),
            wrapped,
            new CompletionEventPublisher(wrapped, Options.Create(new BatchStorageOptions()), NullLogger<CompletionEventPublisher>.Instance),
            new FakeTimeProvider(Now),
            NullLogger<CompletionNotifier>.Instance);
    }
}
