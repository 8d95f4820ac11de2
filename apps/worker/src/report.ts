/**
 * The backfill's closing lines for a person at a terminal (the JSON `backfill summary` line carries the same
 * figures for Cloud Logging). Pure.
 */
import type { BackfillSummary } from './backfill.js';
import type { InputFolder } from './config.js';
import { MEASURED } from './costs.js';

const n = (value: number): string => value.toLocaleString('en-US');

function columns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}\n`).join('');
}

export function formatSummary(summary: BackfillSummary, input: InputFolder): string {
  const where = `gs://${input.bucket}/${input.prefix}`;
  const head = `backfill ${where} task ${summary.task}/${summary.tasks}`;
  const time = `${summary.seconds}s${summary.cpuSeconds !== undefined ? `, ${summary.cpuSeconds} CPU-seconds` : ''}`;
  const report = summary.report;
  if (!report) {
    const state = summary.interrupted
      ? 'stopped (a restart resumes)'
      : summary.resumed
        ? 'resumed and finished'
        : 'finished';
    return (
      `${head}: ${state} in ${time}: ${n(summary.total)} objects, processed ${n(summary.processed)}, ` +
      `duplicate ${n(summary.duplicate)}, skipped ${n(summary.skipped)}, failed ${n(summary.failed)}` +
      (summary.pruned > 0 || summary.remade > 0
        ? `; retired renditions deleted ${n(summary.pruned)} (${n(summary.remade)} made again)`
        : '') +
      '\n'
    );
  }
  const skipped = Object.entries(report.skipped);
  const skippedTotal = skipped.reduce((sum, [, count]) => sum + (count ?? 0), 0);
  const { requests, cpuSeconds } = report.estimate;
  return (
    `${head}: DRY RUN — nothing was written (${time})\n` +
    columns([
      [
        'renditions missing',
        `${n(report.missing)} sources (${n(report.renditionsMissing)} renditions to write)`,
      ],
      ['complete', `${n(report.complete)} sources (metadata reads only)`],
      ['not an image by type', `${n(report.notImageByType)} objects (a real run downloads each to be sure)`],
      [
        'skipped',
        `${n(skippedTotal)}${skipped.length > 0 ? ` (${skipped.map(([reason, count]) => `${reason} ${n(count ?? 0)}`).join(', ')})` : ''}`,
      ],
      [
        'retired renditions',
        `${n(report.retired)} would be deleted by PRUNE (${n(report.remade)} made again)`,
      ],
      ['could not be checked', n(summary.failed)],
    ]) +
    `a real run would make\n` +
    columns([
      ['list requests', n(requests.list)],
      ['metadata reads', n(requests.metadata_read)],
      ['downloads', n(requests.media_read)],
      ['writes', n(requests.create)],
      ['deletes', n(requests.delete)],
      ['CPU', `≈ ${cpuSeconds.toFixed(1)} CPU-seconds`],
    ]) +
    `  (plus a checkpoint write every 5 s; CPU from bench/README.md: ${MEASURED.writtenSourceCpuMs} ms per source ` +
    `written + ${MEASURED.renderCpuMsPerMiB} ms per MiB, ${MEASURED.completeSourceCpuMs} ms per complete source)\n`
  );
}
