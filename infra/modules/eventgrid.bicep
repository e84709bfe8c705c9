@description('Event Grid system topic name.')
param topicName string

@description('Region.')
param location string

@description('Tags.')
param tags object

@description('Storage account whose events are delivered.')
param storageAccountName string

@description('Function App with the Event Grid blob trigger.')
param functionAppName string

@description('Container whose BlobCreated events start batches.')
param inputContainer string

@description('Whether to create the subscription (needs the blob extension key, which exists once the app runs).')
param deploySubscription bool

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: topicName
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = if (deploySubscription) {
  parent: topic
  name: 'batch-input-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.StartFromBlobEvent&code=${listKeys('${app.id}/host/default', '2024-04-01').systemKeys.blobs_extension}'
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inputContainer}/blobs/'
      subjectEndsWith: '.jsonl'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

@description('System topic name.')
output topicName string = topic.name
