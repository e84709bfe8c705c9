@description('Custom topic name.')
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object

@description('Principal (the app identity) allowed to publish.')
param principalId string

// EventGrid Data Sender: publish events, nothing else.
var dataSenderRoleId = 'd5a91429-5739-47e2-a06b-3470a27159e7'

// CloudEvents 1.0 in, and no access keys: the app publishes with its managed identity only.
resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, dataSenderRoleId)
  scope: topic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRoleId)
  }
}

@description('The topic endpoint the app publishes to.')
output endpoint string = topic.properties.endpoint
