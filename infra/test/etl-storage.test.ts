import { App, TerraformStack } from 'cdktf';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import { describe, expect, it } from 'vitest';
import { EVENTHUB_CHECKPOINT_CONTAINER } from '../../shared/config/app-settings.js';
import { EtlStorage } from '../src/building-blocks/etl-storage.js';

describe('EtlStorage', () => {
  it('hands out the containers it declares and refuses any other name', () => {
    const stack = new TerraformStack(new App(), 'storage-test');
    const storage = new EtlStorage(stack, 'storage', {
      name: 'etlstoragetest',
      location: 'westeurope',
      resourceGroupName: 'rg-test',
      eventGridTopicName: 'topic-test',
      extraContainers: ['deployments'],
    });
    expect(storage.container(EVENTHUB_CHECKPOINT_CONTAINER)).toBeInstanceOf(StorageContainer);
    expect(storage.container('deployments')).toBeInstanceOf(StorageContainer);
    expect(() => storage.container('not-declared')).toThrow("The storage account declares no container 'not-declared'.");
  });
});
