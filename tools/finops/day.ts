const DAY_MS = 86_400_000;

/** The UTC day of an instant, as `YYYY-MM-DD` (what names the usage files and the budget counters). */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The day `days` after (or before, when negative) a `YYYY-MM-DD` day. */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS));
}
