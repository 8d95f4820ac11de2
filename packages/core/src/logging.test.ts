import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger, traceFields } from './logging.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', service: 'test', destination }) };
}

describe('createLogger', () => {
  test('writes JSON lines with Cloud Logging severity and message fields', () => {
    const { lines, logger } = capture();
    logger.debug('d');
    logger.info({ object: 'a.png' }, 'i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    assert.deepEqual(
      lines.map((line) => [line.severity, line.message]),
      [
        ['DEBUG', 'd'],
        ['INFO', 'i'],
        ['WARNING', 'w'],
        ['ERROR', 'e'],
        ['CRITICAL', 'f'],
      ],
    );
    assert.equal(lines[1]?.object, 'a.png');
    assert.equal(lines[1]?.level, undefined, 'no numeric level next to severity');
    assert.equal(lines[1]?.service, 'test');
  });
});

describe('traceFields', () => {
  test('turns X-Cloud-Trace-Context into the Cloud Logging trace field when the project is known', () => {
    assert.deepEqual(
      traceFields({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' }, 'my-project'),
      {
        'logging.googleapis.com/trace': 'projects/my-project/traces/105445aa7843bc8bf206b12000100000',
      },
    );
  });

  test('reads a W3C traceparent header when there is no X-Cloud-Trace-Context', () => {
    assert.deepEqual(
      traceFields({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, 'p'),
      { 'logging.googleapis.com/trace': 'projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736' },
    );
  });

  test('adds nothing without a project or with a malformed header', () => {
    assert.deepEqual(
      traceFields({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1' }, undefined),
      {},
    );
    assert.deepEqual(traceFields({ 'x-cloud-trace-context': 'not a trace' }, 'p'), {});
    assert.deepEqual(traceFields({}, 'p'), {});
  });
});
