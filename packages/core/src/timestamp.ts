/** A clock, injectable for tests. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** `YYYYMMDDTHHZ` in UTC: 2025-12-03T15:59Z → `20251203T15Z`. */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2025-12-03T15:59:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}Z`;
}
