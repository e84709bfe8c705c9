@description('Key Vault name.')
param name string

@description('Region.')
param location string

@description('Tags.')
param tags object

@description('The Mistral API key.')
@secure()
param mistralApiKey string

@description('The Standard Webhooks secret completion webhooks are signed with (whsec_...); none when empty.')
@secure()
param webhookSecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource mistralKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'mistral-api-key'
  properties: {
    value: mistralApiKey
    contentType: 'text/plain'
  }
}

resource webhookKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(webhookSecret)) {
  parent: vault
  name: 'webhook-secret'
  properties: {
    value: webhookSecret
    contentType: 'text/plain'
  }
}

@description('Vault name.')
output name string = vault.name

@description('URI of the Mistral key secret, for a Key Vault reference.')
output mistralApiKeySecretUri string = mistralKey.properties.secretUri

@description('URI of the webhook secret (its latest version), for a Key Vault reference; it exists only when a secret was given.')
output webhookSecretUri string = '${vault.properties.vaultUri}secrets/webhook-secret'
