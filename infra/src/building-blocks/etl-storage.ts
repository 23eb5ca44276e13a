/**
 * The pipeline's storage account: landing, rejected and dead-letter containers, the Event Hubs
 * checkpoint container, and the queue that Event Grid fills with BlobCreated events for `extract`
 * (the extract function streams the blob itself; a blob trigger would load it whole into memory).
 */
import { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic/index.js';
import { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription/index.js';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account/index.js';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import { StorageQueue } from '@cdktf/provider-azurerm/lib/storage-queue/index.js';
import { Construct } from 'constructs';
import {
  APP_SETTINGS,
  EVENTHUB_CHECKPOINT_CONTAINER,
  LANDING_EVENTS_QUEUE,
  LANDING_POISON_QUEUE,
} from '../../../shared/config/app-settings.js';
import { grantRole } from './role-grant.js';

export interface EtlStorageProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly eventGridTopicName: string;
  /** Extra containers a stack needs, e.g. the Flex Consumption deployment container. */
  readonly extraContainers?: readonly string[];
}

export class EtlStorage extends Construct {
  readonly account: StorageAccount;
  private readonly containers: Readonly<Record<string, StorageContainer>>;
  readonly landingEventsQueue: StorageQueue;
  readonly landingContainerName: string = APP_SETTINGS.ETL_LANDING_CONTAINER.default;

  constructor(scope: Construct, id: string, props: EtlStorageProps) {
    super(scope, id);
    this.account = new StorageAccount(this, 'account', {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      accountKind: 'StorageV2',
      accountTier: 'Standard',
      accountReplicationType: 'LRS',
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      // Every client of this account (Functions host, our adapters, KEDA, Event Grid) uses Entra ID.
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      localUserEnabled: false,
      sftpEnabled: false,
      blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
    });

    const containerNames = [
      APP_SETTINGS.ETL_LANDING_CONTAINER.default,
      APP_SETTINGS.ETL_REJECTED_CONTAINER.default,
      APP_SETTINGS.ETL_DEADLETTER_CONTAINER.default,
      EVENTHUB_CHECKPOINT_CONTAINER,
      ...(props.extraContainers ?? []),
    ];
    const containers: Record<string, StorageContainer> = {};
    for (const name of containerNames) {
      containers[name] = new StorageContainer(this, `container-${name}`, {
        name,
        storageAccountId: this.account.id,
        containerAccessType: 'private',
      });
    }
    this.containers = containers;

    this.landingEventsQueue = new StorageQueue(this, 'queue-landing-events', {
      name: LANDING_EVENTS_QUEUE,
      storageAccountId: this.account.id,
    });
    new StorageQueue(this, 'queue-landing-events-poison', {
      name: LANDING_POISON_QUEUE,
      storageAccountId: this.account.id,
    });

    this.routeLandingEventsToQueue(props);
  }

  /** A container this account declares; asking for any other is a mistake in the stack. */
  container(name: string): StorageContainer {
    const container = this.containers[name];
    if (container === undefined) throw new Error(`The storage account declares no container '${name}'.`);
    return container;
  }

  private routeLandingEventsToQueue(props: EtlStorageProps): void {
    const topic = new EventgridSystemTopic(this, 'events', {
      name: props.eventGridTopicName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      topicType: 'Microsoft.Storage.StorageAccounts',
      sourceResourceId: this.account.id,
      // Delivery to the queue authenticates with this identity: the account has no shared keys.
      identity: { type: 'SystemAssigned' },
    });
    const sender = grantRole(this, 'events-queue-sender', {
      role: 'Storage Queue Data Message Sender',
      principalId: topic.identity.principalId,
      principalType: 'ServicePrincipal',
      resourceId: this.landingEventsQueue.id,
      reason: 'Event Grid delivers landing BlobCreated events to the landing-events queue',
    });
    new EventgridSystemTopicEventSubscription(this, 'landing-created', {
      name: 'landing-blob-created',
      systemTopic: topic.name,
      resourceGroupName: props.resourceGroupName,
      eventDeliverySchema: 'EventGridSchema',
      includedEventTypes: ['Microsoft.Storage.BlobCreated'],
      subjectFilter: { subjectBeginsWith: `/blobServices/default/containers/${this.landingContainerName}/` },
      storageQueueEndpoint: {
        storageAccountId: this.account.id,
        queueName: this.landingEventsQueue.name,
        // -1: never expire; a backlog during an outage is still processed afterwards.
        queueMessageTimeToLiveInSeconds: -1,
      },
      deliveryIdentity: { type: 'SystemAssigned' },
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLive: 1440 },
      dependsOn: [sender],
    });
  }
}
