// startStack(): the emulators, provisioned, behind one IAM-enforcing proxy per app identity (the Terraform roles).
import type { Storage } from '@google-cloud/storage';
import {
  startEmulators,
  storageClientFor,
  type EmulatorSet,
  type StartEmulatorsOptions,
} from './emulators.js';
import { identities, loadTerraformPolicy, type Identity, type IdentityPolicy } from './iam-policy.js';
import { startIamProxy, type IamOrder, type IamProxy, type MediaReads } from './iam-proxy.js';
import { localDefaults, provision, type Provisioning } from './provision.js';

export interface Stack extends EmulatorSet {
  provisioning: Provisioning;
  /** One IAM-enforcing proxy per app identity, with the permissions infra/terraform grants it on the bucket. */
  identities: Record<Identity, IamProxy>;
  /**
   * { STORAGE_EMULATOR_HOST: that identity's proxy, PUBSUB_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT } for an app's
   * child process. (`env` has no STORAGE_EMULATOR_HOST, so an app cannot reach storage around the IAM proxy.)
   */
  envFor(identity: Identity): Record<string, string>;
  /** A Cloud Storage client through that identity's proxy (the same instance on every call), for in-process apps. */
  storageFor(identity: Identity): Storage;
}

export interface StartStackOptions extends Omit<StartEmulatorsOptions, 'projectId'> {
  /** Whether a failing precondition (412) or a missing delete permission (403) wins (default 'permission-first'). */
  iamOrder?: IamOrder;
  /** How the proxies hand out allowed downloads (default 'relay'; the bench redirects, see MediaReads). */
  mediaReads?: MediaReads;
}

/**
 * startEmulators() + provision() + one IAM proxy per identity: a ready stack (contract's local names unless
 * overridden). `stack.storage()` stays direct and unrestricted (the test's own client, e.g. to upload sources).
 */
export async function startStack(
  p: Partial<Provisioning> = {},
  options: StartStackOptions = {},
): Promise<Stack> {
  const provisioning: Provisioning = { ...localDefaults, ...p };
  const { iamOrder, mediaReads, ...emulatorOptions } = options;
  // Read before anything starts: a Terraform change the policy model does not cover fails here, at once.
  const policies = await loadTerraformPolicy({
    bucket: provisioning.bucket,
    thumbnailPrefix: provisioning.thumbnailPrefix ?? localDefaults.thumbnailPrefix ?? '',
    projectId: provisioning.projectId,
  });
  const set = await startEmulators({ ...emulatorOptions, projectId: provisioning.projectId });
  const proxies: IamProxy[] = [];
  try {
    await provision(
      { storage: set.storage(), pubsub: set.pubsub(), storageHost: set.storageHost },
      provisioning,
    );
    for (const identity of identities) {
      proxies.push(
        await startIamProxy({
          upstream: set.storageHost,
          policy: policies[identity] satisfies IdentityPolicy,
          order: iamOrder,
          mediaReads,
          advertisedHost: emulatorOptions.advertisedHost,
        }),
      );
    }
  } catch (error) {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await set.stop();
    throw error;
  }
  return stackOf(set, provisioning, proxies);
}

/** The stack's face over the emulator set and the proxies (in `identities` order); stop() closes the proxies first. */
function stackOf(set: EmulatorSet, provisioning: Provisioning, proxies: IamProxy[]): Stack {
  const byIdentity = Object.fromEntries(identities.map((identity, i) => [identity, proxies[i]!])) as Record<
    Identity,
    IamProxy
  >;
  const clients = new Map<Identity, Storage>();
  let stopping: Promise<void> | undefined;
  return {
    ...set,
    provisioning,
    identities: byIdentity,
    envFor: (identity) => ({ ...set.env, STORAGE_EMULATOR_HOST: byIdentity[identity].url }),
    storageFor(identity) {
      let client = clients.get(identity);
      if (!client)
        clients.set(identity, (client = storageClientFor(byIdentity[identity].url, provisioning.projectId)));
      return client;
    },
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(proxies.map((proxy) => proxy.close()));
        await set.stop();
      })()),
  };
}
