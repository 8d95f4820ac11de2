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
  return { lines, logger: createLogger({ level: 'debug', destination }) };
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
  });
});

describe('traceFields', () => {
  test('turns X-Cloud-Trace-Context into the Cloud Logging trace field when the project is known', () => {
    assert.deepEqual(traceFields('105445aa7843bc8bf206b12000100000/1;o=1', 'my-project'), {
      'logging.googleapis.com/trace': 'projects/my-project/traces/105445aa7843bc8bf206b12000100000',
    });
  });

  test('adds nothing without a project or with a malformed header', () => {
    assert.deepEqual(traceFields('105445aa7843bc8bf206b12000100000/1', undefined), {});
    assert.deepEqual(traceFields('not a trace', 'p'), {});
    assert.deepEqual(traceFields(undefined, 'p'), {});
  });
});
