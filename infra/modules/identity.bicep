@description('Name of the user-assigned identity.')
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id.')
output id string = identity.id

@description('Principal id, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client id, for the app settings.')
output clientId string = identity.properties.clientId
