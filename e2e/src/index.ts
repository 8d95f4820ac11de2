// @thumbnailer/e2e: the whole native stack (emulators, built web and worker) for end-to-end tests.
export { startApp, entryPoint, type AppName, type RunningApp, type StartAppOptions } from './apps.js';
export { startNativeStack, type NativeStack, type NativeStackOptions } from './stack.js';
export { explainFailure } from './diagnostics.js';
