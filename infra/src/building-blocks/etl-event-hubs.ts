/**
 * Event Hubs namespace with the `records` and `aggregates` hubs and one consumer group per
 * consuming function. Local (SAS) authentication is off: every client uses Entra ID.
 */
import { Eventhub } from '@cdktf/provider-azurerm/lib/eventhub/index.js';
import { EventhubConsumerGroup } from '@cdktf/provider-azurerm/lib/eventhub-consumer-group/index.js';
import { EventhubNamespace } from '@cdktf/provider-azurerm/lib/eventhub-namespace/index.js';
import { Construct } from 'constructs';
import type { EventHubsParameters } from '../parameters.js';

export interface EtlEventHubsProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly parameters: EventHubsParameters;
}

export class EtlEventHubs extends Construct {
  readonly namespace: EventhubNamespace;
  readonly recordsHub: Eventhub;
  readonly aggregatesHub: Eventhub;
  /** `<namespace>.servicebus.windows.net`: known before deployment, so manifests can carry it. */
  readonly fullyQualifiedNamespace: string;

  constructor(scope: Construct, id: string, props: EtlEventHubsProps) {
    super(scope, id);
    const p = props.parameters;
    this.namespace = new EventhubNamespace(this, 'namespace', {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      sku: p.sku,
      capacity: p.capacity,
      localAuthenticationEnabled: false,
      minimumTlsVersion: '1.2',
    });
    this.fullyQualifiedNamespace = `${props.name}.servicebus.windows.net`;

    this.recordsHub = this.hub('records', p.recordsHub, p.recordsPartitions, p.messageRetentionDays);
    this.aggregatesHub = this.hub('aggregates', p.aggregatesHub, p.aggregatesPartitions, p.messageRetentionDays);
    this.consumerGroup('transform', this.recordsHub, p.transformConsumerGroup);
    this.consumerGroup('aggregate', this.aggregatesHub, p.aggregateConsumerGroup);
  }

  private hub(id: string, name: string, partitionCount: number, retentionDays: number): Eventhub {
    return new Eventhub(this, `hub-${id}`, {
      name,
      namespaceId: this.namespace.id,
      partitionCount,
      messageRetention: retentionDays,
    });
  }

  private consumerGroup(id: string, hub: Eventhub, name: string): EventhubConsumerGroup {
    return new EventhubConsumerGroup(this, `group-${id}`, {
      name,
      eventhubName: hub.name,
      namespaceName: this.namespace.name,
      resourceGroupName: this.namespace.resourceGroupName,
    });
  }
}
