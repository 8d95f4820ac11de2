import { startEmulators, type EmulatorSet, type StartEmulatorsOptions } from './emulators.js';
import { localDefaults, provision, type Provisioning } from './provision.js';

/**
 * startEmulators() + provision(): a ready stack (contract's local names unless overridden).
 * `options` passes ports, log forwarding, etc. through to startEmulators().
 */
export async function startStack(
  p: Partial<Provisioning> = {},
  options: Omit<StartEmulatorsOptions, 'projectId'> = {},
): Promise<EmulatorSet & { provisioning: Provisioning }> {
  const provisioning: Provisioning = { ...localDefaults, ...p };
  const set = await startEmulators({ ...options, projectId: provisioning.projectId });
  try {
    await provision(
      { storage: set.storage(), pubsub: set.pubsub(), storageHost: set.storageHost },
      provisioning,
    );
  } catch (error) {
    await set.stop();
    throw error;
  }
  return { ...set, provisioning };
}
