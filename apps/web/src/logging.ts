/**
 * The pino logger, shaped for Cloud Logging: JSON lines with `severity` and `message`.
 * Created once in main.ts and passed in; tests pass their own destination.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { service: 'web' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    options.destination,
  );
}

/** `X-Cloud-Trace-Context: TRACE/SPAN;o=1` → the Cloud Logging trace field, when the project is known. */
export function traceFields(
  header: string | undefined,
  projectId: string | undefined,
): Record<string, string> {
  const traceId = header?.split('/')[0];
  if (!projectId || !traceId || !/^[0-9a-f]{1,32}$/i.test(traceId)) return {};
  return { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${traceId}` };
}
