// Samtaleguide in Azure: one resource group holding
//   - a user-assigned managed identity: the bot's identity (Azure Bot "UserAssignedMSI", no
//     secrets anywhere) and the app's identity towards Blob Storage and the container registry;
//   - a Storage account with shared keys and public blob access switched off, TLS 1.2, and two
//     private containers (conversation state, documents); the identity gets "Storage Blob Data
//     Contributor" and "Storage Blob Delegator" (user delegation SAS for plan links);
//   - a Container Apps environment (logs to Log Analytics) and the Container App running the
//     image from deploy/../Dockerfile, pulled from your Azure Container Registry with the identity;
//     its PUBLIC_BASE_URL (where every link to a plan points) is its own https address, or
//     publicBaseUrl when the bot is behind your own domain;
//   - the Azure Bot (single tenant: your tenant only) with its Teams channel, whose messaging
//     endpoint is the Container App's https address + /api/messages.
//
// Build and push the image first (docs/deploy.md):
//   az acr build --registry <registry> --image samtaleguide:<tag> .
// then:
//   az deployment group create -g <rg> -f deploy/main.bicep -p @deploy/main.parameters.json \
//     -p containerRegistryName=<registry> imageTag=<tag>
//
// Outputs use the Microsoft 365 Agents Toolkit's names (BOT_ID, BOT_DOMAIN, ...), which
// arm/deploy writes into deploy/env/.env.<environment> for the app package.

targetScope = 'resourceGroup'

@description('Azure region for everything but the bot (which is global). Default: the resource group\'s.')
param location string = resourceGroup().location

@description('Prefix of every resource name (lower-case letters, digits, hyphens).')
@minLength(3)
@maxLength(20)
param namePrefix string = 'samtaleguide'

@description('Name of the existing Azure Container Registry (in this resource group) holding the image.')
param containerRegistryName string

@description('Tag of the image samtaleguide:<tag> in that registry, e.g. the app version.')
param imageTag string

@description('Name shown for the bot in Azure and Teams.')
param botDisplayName string = 'Samtaleguide'

@description('Azure Bot pricing tier. F0 is free; Teams is a standard channel either way.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('Storage redundancy. Zone-redundant by default; LRS where zones are unavailable.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Days deleted or overwritten blobs can be restored (soft delete and versions).')
@minValue(1)
@maxValue(365)
param blobRetentionDays int = 30

@description('Days Log Analytics keeps the container logs (which never hold conversation content).')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Replicas of the bot. One is enough for a municipality; state is safe with more (ETags).')
@minValue(1)
@maxValue(10)
param maxReplicas int = 1

@description('The https address people\'s browsers reach the bot at; every link to a plan points there. Empty: the Container App\'s own address. Set it when the bot is behind your own domain (e.g. https://samtaleguide.kommune.dk).')
param publicBaseUrl string = ''

@description('Entra object ids (GUIDs), comma-separated, of the people who may see HR\'s figures of the round ("nøgletal"); never any content. Empty: nobody.')
param hrViewers string = ''

@description('Tags put on every resource.')
param tags object = {
  application: 'samtaleguide'
}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var storageAccountName = take(toLower('${replace(namePrefix, '-', '')}${suffix}'), 24)
var stateContainerName = 'samtaleguide-state'
var documentsContainerName = 'samtaleguide-documents'
var appName = '${namePrefix}-app'
var appPort = 3978
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

// --- identity -----------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-identity'
  location: location
  tags: tags
}

// --- storage: private, Entra ID only --------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: blobRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: blobRetentionDays
    }
  }
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: stateContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource documentsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: documentsContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource blobDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDelegator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDelegator)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- the image's registry: pull with the identity, no admin user --------------------------

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: containerRegistryName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, identity.id, roles.acrPull)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- the app: a Container App with the identity ---------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: appPort
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'samtaleguide'
          image: '${registry.properties.loginServer}/samtaleguide:${imageTag}'
          resources: {
            cpu: json('1.0')
            memory: '2Gi'
          }
          env: [
            { name: 'HOST', value: '0.0.0.0' }
            { name: 'PORT', value: string(appPort) }
            { name: 'TIME_ZONE', value: 'Europe/Copenhagen' }
            { name: 'LOG_LEVEL', value: 'INFO' }
            { name: 'MicrosoftAppType', value: 'UserAssignedMSI' }
            { name: 'MicrosoftAppId', value: identity.properties.clientId }
            { name: 'MicrosoftAppTenantId', value: tenant().tenantId }
            { name: 'ALLOWED_TENANTS', value: tenant().tenantId }
            // DefaultAzureCredential picks the user-assigned identity by this client id.
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
            { name: 'AZURE_STORAGE_ACCOUNT_URL', value: storage.properties.primaryEndpoints.blob }
            { name: 'AZURE_STORAGE_CONTAINER', value: stateContainerName }
            { name: 'AZURE_STORAGE_DOCUMENTS_CONTAINER', value: documentsContainerName }
            // Links to plans point at the bot; an external app's address is <name>.<env domain>.
            { name: 'PUBLIC_BASE_URL', value: empty(publicBaseUrl) ? 'https://${appName}.${environment.properties.defaultDomain}' : publicBaseUrl }
            // Who may ask for HR's figures (by Entra object id); figures below 5 show as "< 5".
            { name: 'HR_VIEWERS', value: hrViewers }
            { name: 'HR_THRESHOLD', value: '5' }
          ]
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: appPort
              }
              periodSeconds: 5
              failureThreshold: 24
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: appPort
              }
              periodSeconds: 30
              failureThreshold: 3
            }
            {
              // Storage answers (bot.health: at most 2 s); /healthz does no I/O, so a storage
              // outage takes the replica out of the load balancer but never restarts it.
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: appPort
              }
              timeoutSeconds: 3
              periodSeconds: 10
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        // Always one running: follow-up reminders and work after a card press run in the process.
        minReplicas: 1
        maxReplicas: maxReplicas
      }
    }
  }
  dependsOn: [
    acrPull
    blobDataContributor
    blobDelegator
    stateContainer
    documentsContainer
  ]
}

// --- the Azure Bot: single tenant, managed identity, Teams only -----------------------------

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${namePrefix}-bot-${suffix}'
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identity.properties.clientId
    msaAppTenantId: tenant().tenantId
    msaAppMSIResourceId: identity.id
    publicNetworkAccess: 'Enabled'
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      acceptedTerms: true
    }
  }
}

// --- outputs (the Agents Toolkit writes them into deploy/env/.env.<environment>) ----------

output BOT_ID string = identity.properties.clientId
output BOT_DOMAIN string = app.properties.configuration.ingress.fqdn
output BOT_ENDPOINT string = 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_BOT_NAME string = bot.name
output AZURE_CONTAINER_APP_NAME string = app.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
output AZURE_STORAGE_ACCOUNT_URL string = storage.properties.primaryEndpoints.blob
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
