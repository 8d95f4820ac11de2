/**
 * Typed guards for untrusted input (in the manner of sharp's lib/is.mjs): small, total, no throwing.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

const MAX_INT64 = 9_223_372_036_854_775_807n;

/**
 * A Cloud Storage generation: a positive int64, as a string of digits (production) or a number (emulator).
 * Anything else (zero, a fraction, "99999999999999999999") can never name an object: the event is unusable.
 */
export function isGeneration(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0;
  return typeof value === 'string' && /^[1-9]\d{0,18}$/.test(value) && BigInt(value) <= MAX_INT64;
}

/** A flat string → string map, as Pub/Sub attributes and object metadata are. */
export function isStringRecord(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.values(value).every(isString);
}
