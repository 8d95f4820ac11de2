/**
 * The whole native stack on free ports: both emulators, provisioned (bucket, topic, subscription, bucket
 * notification), then the built worker in pull mode and the built web app, each pointed at them only by
 * environment variables, and each reaching storage through its own identity's IAM proxy (the permissions
 * infra/terraform grants that service account).
 */
import { freePort, startStack, type Stack } from '@thumbnailer/emulators';
import { startApp, type RunningApp } from './apps.js';

export interface NativeStack {
  /**
   * The emulators; `emulators.identities.worker` is the worker's IAM proxy (`counts()`: its storage requests per
   * class; `setOrder()`: which of precondition and permission wins).
   */
  emulators: Stack;
  web: RunningApp;
  worker: RunningApp;
  /** Every line the emulators and both apps wrote, prefixed with where it came from. */
  output(): string;
  /** Stops web, worker and the emulators (in that order), whatever state they are in. Idempotent. */
  stop(): Promise<void>;
}

export interface NativeStackOptions {
  /**
   * 'pull' (default): the worker pulls the bucket's notifications from the subscription, as on Cloud Run with
   * Pub/Sub pull. 'push': PUBSUB_SUBSCRIPTION unset, so only POST /event feeds it (Eventarc push).
   */
  worker?: 'pull' | 'push';
  /** Inherited by both apps (PATH, HOME, …): pass the test's `process.env`. */
  inherit?: NodeJS.ProcessEnv;
  /** `RENDITIONS` for both apps (the worker makes them, the page shows them); unset: the contract's default. */
  renditions?: string;
}

export async function startNativeStack(options: NativeStackOptions = {}): Promise<NativeStack> {
  const emulatorLines: string[] = [];
  const emulators = await startStack(
    {},
    { onLog: (source, line) => emulatorLines.push(`[${source}] ${line}`) },
  );
  const { provisioning } = emulators;
  let worker: RunningApp | undefined;
  let web: RunningApp | undefined;
  const output = (): string =>
    [emulatorLines.join('\n'), worker?.output() ?? '', web?.output() ?? ''].filter(Boolean).join('\n');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const results = await Promise.allSettled([web?.stop(), worker?.stop()]);
      await emulators.stop();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })());

  // Nothing here runs on Google Cloud: the auth library skips its metadata-server probe, as in `npm run dev`.
  const common = {
    GOOGLE_CLOUD_PROJECT: provisioning.projectId,
    METADATA_SERVER_DETECTION: 'none',
    ...(options.renditions === undefined ? {} : { RENDITIONS: options.renditions }),
  };
  try {
    worker = await startApp(
      'worker',
      {
        ...emulators.envFor('worker'),
        ...common,
        ...(options.worker === 'push' ? {} : { PUBSUB_SUBSCRIPTION: provisioning.subscription }),
        UPLOAD_BUCKET: provisioning.bucket,
        PORT: String(await freePort()),
      },
      { inherit: options.inherit },
    );
    web = await startApp(
      'web',
      {
        ...emulators.envFor('web'),
        ...common,
        UPLOAD_BUCKET: provisioning.bucket,
        SESSION_SECRET: 'e2e-session-secret-0123456789',
        PORT: String(await freePort()),
      },
      { inherit: options.inherit },
    );
  } catch (error) {
    await stop().catch(() => undefined);
    // The app's own output is in the error already; the emulators' lines may explain it.
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the native stack did not start: ${reason}\n${emulatorLines.join('\n')}`, {
      cause: error,
    });
  }
  return { emulators, web, worker, output, stop };
}
