const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d+)([mhdw])$/;
// A date (read as UTC midnight) or a date-time with its offset; no local-time guessing.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The start of a report window: `30m`, `12h`, `7d`, `2w` back from `now`, or an ISO date / date-time. */
export function parseSince(value: string, now: Date): Date {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const amount = Number(relative[1]);
    if (amount <= 0) throw new Error(`"${value}": the duration must be more than 0`);
    return new Date(now.getTime() - amount * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  }
  const time = ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new Error(`"${value}" is neither a duration (30m, 12h, 7d, 2w) nor an ISO date (2024-05-01, 2024-05-01T08:00:00Z)`);
  }
  return new Date(time);
}
