/**
 * The published event data shapes (apps/worker/schemas/*.schema.json), compiled once with Ajv (JSON Schema
 * 2020-12), for tests that check every event they see.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { EVENT_TYPES, type NoticeKind } from '../src/notify.js';

const SCHEMAS = new URL('../schemas/', import.meta.url);
const read = (file: string): object => JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as object;

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(read('source.schema.json'), 'source.schema.json');
ajv.addSchema(read('rendition.schema.json'), 'rendition.schema.json');
const validators: Record<NoticeKind, ValidateFunction> = {
  ready: ajv.compile(read('ready.schema.json')),
  failed: ajv.compile(read('failed.schema.json')),
  removed: ajv.compile(read('removed.schema.json')),
};

const KIND_BY_TYPE = new Map(Object.entries(EVENT_TYPES).map(([kind, type]) => [type, kind as NoticeKind]));

/** Throws with Ajv's messages unless `data` is valid for the event type `ceType`. */
export function assertValidEvent(ceType: string, data: unknown): void {
  const kind = KIND_BY_TYPE.get(ceType as (typeof EVENT_TYPES)[NoticeKind]);
  if (!kind) throw new Error(`unknown event type ${ceType}`);
  const validate = validators[kind];
  if (!validate(data)) throw new Error(`${ceType} data is invalid: ${ajv.errorsText(validate.errors)}`);
}
