import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLogLine, prefixed } from './log-lines.js';

describe('formatLogLine', () => {
  it('shows a Cloud Logging entry as severity, message and the remaining fields', () => {
    const line = JSON.stringify({
      severity: 'INFO',
      message: 'listening',
      time: '2026-01-01T00:00:00Z',
      pid: 7,
      hostname: 'h',
      port: 8080,
    });
    assert.equal(formatLogLine(line), 'INFO    listening {"port":8080}');
  });

  it('accepts pino-style msg and level and leaves out an empty field list', () => {
    assert.equal(formatLogLine('{"level":"warn","msg":"slow"}'), 'WARN    slow');
  });

  it('leaves lines that are not JSON objects unchanged', () => {
    for (const line of ['time=… level=INFO msg="server started"', '{not json', '[1,2]', '']) {
      assert.equal(formatLogLine(line), line);
    }
  });
});

describe('prefixed', () => {
  it('writes each line behind a padded name column', () => {
    const written: string[] = [];
    const web = prefixed('web', (text) => written.push(text));
    web('plain line');
    web('{"severity":"ERROR","message":"boom"}');
    assert.deepEqual(written, ['web     | plain line\n', 'web     | ERROR   boom\n']);
  });
});
