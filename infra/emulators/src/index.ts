// @thumbnailer/emulators: local Cloud Storage (fake-gcs-server) and Pub/Sub (pstest) emulators for tests and dev.
export {
  startEmulators,
  storageClientFor,
  pubsubClientFor,
  type EmulatorSet,
  type StartEmulatorsOptions,
} from './emulators.js';
export { provision, localDefaults, subscriptionFilter, type Provisioning } from './provision.js';
export { startStack, type Stack, type StartStackOptions } from './stack.js';
export { startFaultProxy, type FaultProxy, type FaultMode } from './fault-proxy.js';
export {
  bucketPolicy,
  identities,
  objectResource,
  type Identity,
  type IdentityPolicy,
  type PolicyBinding,
  type PolicyCondition,
} from './iam-policy.js';
export {
  startIamProxy,
  type IamOrder,
  type IamProxy,
  type IamProxyOptions,
  type ProxiedRequest,
  type StorageRequestCounts,
} from './iam-proxy.js';
export type { RequestClass } from './iam-routes.js';
export { freePort } from './ports.js';
export { startNodeApp, type LogEntry, type NodeApp, type StartNodeAppOptions } from './node-app.js';
