// BatchFunctions on Azure: a Flex Consumption Function App running Durable Functions, with identity-based
// storage (shared keys off), the Mistral key in Key Vault, monitoring, and Event Grid delivering
// BlobCreated events of the input container to the blob trigger. Local modules only: compiles offline.
targetScope = 'resourceGroup'

@description('Short name of the environment (azd environment name); used in resource names.')
@minLength(2)
@maxLength(20)
param environmentName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('The Mistral API key, stored in Key Vault and referenced from the app settings.')
@secure()
param mistralApiKey string

@description('Mistral API base address.')
param mistralBaseAddress string = 'https://api.mistral.ai/'

@description('Default model when an input blob names none.')
param defaultModel string = 'mistral-small-latest'

@description('Create an Event Grid topic (CloudEvents 1.0) that gets a BatchFunctions.BatchCompleted event per batch, published with the app identity.')
param deployCompletionTopic bool = false

@description('Completion webhook URL (it may carry a secret in its query); none when empty.')
@secure()
param webhookUrl string = ''

@description('Standard Webhooks signing secret for the webhook (whsec_ and 24 to 64 random bytes in base64), kept in Key Vault; unsigned when empty.')
@secure()
param webhookSecret string = ''

@description('Create the Event Grid subscription to the blob trigger. Its endpoint key exists only once the app code runs, so the first deployment leaves it off and the postdeploy hook turns it on.')
param deployEventGridSubscription bool = false

@description('Days after which the working files in batch-staging are deleted by the storage lifecycle policy.')
@minValue(10)
param stagingRetentionDays int = 14

@description('Most instances the Flex Consumption plan may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var names = {
  identity: 'id-bf-${environmentName}'
  storage: take('stbf${token}', 24)
  keyVault: take('kv-bf-${token}', 24)
  logs: 'log-bf-${environmentName}'
  insights: 'appi-bf-${environmentName}'
  plan: 'plan-bf-${environmentName}'
  app: 'func-bf-${token}'
  topic: 'evgt-bf-${environmentName}'
  completionTopic: 'evgt-bf-done-${environmentName}'
}
var containers = [
  'batch-input'
  'batch-output'
  'batch-errors'
  'batch-archive'
  'batch-staging'
  'deployments'
]
var queues = [
  'batch-requests'
  'batch-completed'
]
var tags = {
  'azd-env-name': environmentName
  application: 'batchfunctions'
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logs
    applicationInsightsName: names.insights
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    containers: containers
    queues: queues
    stagingContainer: 'batch-staging'
    stagingRetentionDays: stagingRetentionDays
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    mistralApiKey: mistralApiKey
    webhookSecret: webhookSecret
  }
}

module completionTopic 'modules/completiontopic.bicep' = if (deployCompletionTopic) {
  name: 'completionTopic'
  params: {
    name: names.completionTopic
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  dependsOn: [
    roles
  ]
  params: {
    planName: names.plan
    appName: names.app
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}deployments'
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    mistralApiKeySecretUri: keyVault.outputs.mistralApiKeySecretUri
    mistralBaseAddress: mistralBaseAddress
    defaultModel: defaultModel
    maximumInstanceCount: maximumInstanceCount
    webhookUrl: webhookUrl
    webhookSecretUri: empty(webhookSecret) ? '' : keyVault.outputs.webhookSecretUri
    completionTopicEndpoint: deployCompletionTopic ? completionTopic!.outputs.endpoint : ''
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventGrid'
  params: {
    topicName: names.topic
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    functionAppName: functionApp.outputs.name
    inputContainer: 'batch-input'
    deploySubscription: deployEventGridSubscription
  }
}

@description('The Function App name.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The Function App base URL.')
output SERVICE_API_URI string = functionApp.outputs.uri

@description('The storage account holding inputs and results.')
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name

@description('The Key Vault holding the Mistral key.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('The Event Grid system topic of the storage account.')
output AZURE_EVENTGRID_TOPIC string = eventGrid.outputs.topicName
