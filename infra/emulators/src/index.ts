// @thumbnailer/emulators: local Cloud Storage (fake-gcs-server) and Pub/Sub (pstest) emulators for tests and dev.
export {
  startEmulators,
  storageClientFor,
  type EmulatorSet,
  type StartEmulatorsOptions,
} from './emulators.js';
export { provision, localDefaults, subscriptionFilter, type Provisioning } from './provision.js';
export { startStack } from './stack.js';
export { startFaultProxy, type FaultProxy, type FaultMode } from './fault-proxy.js';
export { freePort } from './ports.js';
