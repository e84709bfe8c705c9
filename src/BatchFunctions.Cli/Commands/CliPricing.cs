using BatchFunctions.Core.Pricing;
using Microsoft.Extensions.Configuration;

namespace BatchFunctions.Cli.Commands;

/// <summary>The prices the CLI estimates with: the defaults, overridden by <c>Pricing__*</c> environment variables as the hosts read them.</summary>
internal static class CliPricing
{
    public static PricingOptions Load()
    {
        var pricing = new PricingOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(PricingOptions.SectionName).Bind(pricing);
        return pricing;
    }
}
