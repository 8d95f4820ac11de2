import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplayEntry } from './replay.js';
import { formatJsonLines, formatTable, type ReportSummary } from './replay-report.js';

const entries: ReplayEntry[] = [
  {
    messageId: '1',
    key: 'local-bucket/a.png@1',
    reason: 'missing',
    detail: 'missing: thumb',
    sourceDeliveries: 10,
    action: 'would_ack',
  },
  {
    messageId: '2',
    key: 'local-bucket/b.png@2',
    reason: 'missing',
    detail: 'missing: thumb',
    sourceDeliveries: 12,
    action: 'would_ack',
  },
  {
    messageId: '3',
    reason: 'unusable',
    code: 'malformed_event',
    detail: 'Pub/Sub message has no objectId attribute',
    action: 'would_ack',
  },
  {
    messageId: '4',
    key: 'local-bucket/c.png@3',
    reason: 'retry',
    code: 'storage_unavailable',
    detail: 'unreachable',
    sourceDeliveries: 10,
    action: 'would_leave',
  },
];

const summary: ReportSummary = {
  mode: 'dry-run',
  subscription: 'thumbnailer-dead-letter',
  messages: 4,
  full: false,
  reasons: { missing: 2, 'unusable:malformed_event': 1, 'retry:storage_unavailable': 1 },
  settled: 3,
  left: 1,
  storageRequests: { metadata_read: 5, media_read: 0, list: 0, create: 0, delete: 0 },
};

describe('the replay report', () => {
  it('prints a terminal table with one row per reason, most frequent first, and what --apply would do', () => {
    assert.equal(
      formatTable(entries, summary),
      [
        'dead letters in thumbnailer-dead-letter: 4 (dry run: nothing acked, nothing written)',
        '',
        'reason                            messages  attempts  --apply would    example',
        'renditions missing                       2  10–12     render, ack      local-bucket/a.png@1  missing: thumb',
        'failing now: storage_unavailable         1  10        leave for later  local-bucket/c.png@3  unreachable',
        'unusable event: malformed_event          1  –         ack (drop)       message 3: Pub/Sub message has no objectId attribute',
        '',
        'dry run: 4 messages; --apply would ack 3 and leave 1; storage requests: 5 (metadata_read 5)',
        '',
      ].join('\n'),
    );
  });

  it('prints acked and left per reason after --apply, and says when it stopped at the message limit', () => {
    const applied = entries.map(
      (e) => ({ ...e, action: e.action === 'would_ack' ? 'acked' : 'left' }) as const,
    );
    const table = formatTable(applied, { ...summary, mode: 'apply', full: true });
    assert.match(table, /^reason +messages +attempts +acked +left +example$/m);
    assert.match(table, /^renditions missing +2 +10–12 +2 +0 +local-bucket\/a\.png@1/m);
    assert.match(table, /^failing now: storage_unavailable +1 +10 +0 +1 /m);
    assert.match(table, /^applied: 4 messages; acked 3, left 1 for a later run;/m);
    assert.match(table, /^stopped at --max-messages: more may be waiting \(run again\)$/m);
  });

  it('prints one JSON line per message and a summary line elsewhere', () => {
    const lines = formatJsonLines(entries, summary)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as object);
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[0], { message: 'dead letter', ...entries[0] });
    assert.deepEqual(lines[4], { message: 'replay summary', ...summary });
  });
});
