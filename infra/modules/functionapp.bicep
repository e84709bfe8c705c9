@description('Flex Consumption plan name.')
param planName string

@description('Function App name.')
param appName string

@description('Region.')
param location string

@description('Tags.')
param tags object

@description('User-assigned identity resource id.')
param identityId string

@description('User-assigned identity client id.')
param identityClientId string

@description('Storage account of the app and the batches.')
param storageAccountName string

@description('Blob container URL the deployment package goes to.')
param deploymentContainerUrl string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Key Vault secret URI of the Mistral key.')
param mistralApiKeySecretUri string

@description('Mistral base address.')
param mistralBaseAddress string

@description('Default model.')
param defaultModel string

@description('Most instances.')
param maximumInstanceCount int

@description('Completion webhook URL; none when empty.')
@secure()
param webhookUrl string = ''

@description('Key Vault secret URI of the webhook signing secret; unsigned deliveries when empty.')
param webhookSecretUri string = ''

@description('Event Grid topic endpoint for BatchCompleted CloudEvents; none when empty.')
param completionTopicEndpoint string = ''

// Optional notification settings, present only when configured.
var notificationSettings = concat(
  empty(webhookUrl) ? [] : [
    {
      name: 'Notifications__WebhookUrl'
      value: webhookUrl
    }
  ],
  empty(webhookSecretUri) ? [] : [
    {
      name: 'Notifications__WebhookSecret'
      value: '@Microsoft.KeyVault(SecretUri=${webhookSecretUri})'
    }
  ],
  empty(completionTopicEndpoint) ? [] : [
    {
      name: 'Notifications__EventGridTopicEndpoint'
      value: completionTopicEndpoint
    }
  ]
)

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat([
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: account.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: account.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: account.properties.primaryEndpoints.table
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'TASKHUB_NAME'
          value: 'BatchFunctions'
        }
        {
          name: 'BATCH_INPUT_CONTAINER'
          value: 'batch-input'
        }
        {
          name: 'AzureWebJobs.StartFromBlobScan.Disabled'
          value: 'true'
        }
        {
          name: 'Storage__BlobServiceUri'
          value: account.properties.primaryEndpoints.blob
        }
        {
          name: 'Storage__QueueServiceUri'
          value: account.properties.primaryEndpoints.queue
        }
        {
          name: 'Storage__ManagedIdentityClientId'
          value: identityClientId
        }
        {
          name: 'Mistral__BaseAddress'
          value: mistralBaseAddress
        }
        {
          name: 'Mistral__ApiKey'
          value: '@Microsoft.KeyVault(SecretUri=${mistralApiKeySecretUri})'
        }
        {
          name: 'Batch__Model'
          value: defaultModel
        }
      ], notificationSettings)
    }
  }
}

@description('Function App name.')
output name string = app.name

@description('Function App base URL.')
output uri string = 'https://${app.properties.defaultHostName}'
