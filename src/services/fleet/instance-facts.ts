/** An instance's image facts as the bot records and compares them, from what DescribeAndroidInstances returns. */
import type { CloudInstance } from '../pipeline/ports.js';
import type { TargetFacts } from '../restore/model.js';

/** `public` for the service's System images, `custom` for any other kind; undefined when not given. */
export function imageKindOf(bizImageType: string | undefined): string | undefined {
  if (bizImageType === undefined || bizImageType.trim() === '') return undefined;
  return bizImageType.trim().toLowerCase() === 'system' ? 'public' : 'custom';
}

export function factsOf(instance: CloudInstance): TargetFacts {
  return {
    status: instance.status,
    name: instance.name,
    imageId: instance.imageId,
    imageVersion: instance.imageVersion,
    instanceType: instance.instanceType,
    imageKind: imageKindOf(instance.bizImageType),
    serverType: instance.serverType,
  };
}
