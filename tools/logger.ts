import { pino, type DestinationStream, type Logger } from "pino";

/** Credentials that must never reach a log line, wherever a header object is logged. */
export const REDACTED_PATHS = [
  "authorization",
  '["x-api-key"]',
  "cookie",
  "headers.authorization",
  'headers["x-api-key"]',
  "headers.cookie",
  "*.headers.authorization",
  '*.headers["x-api-key"]',
  "*.headers.cookie",
  '*.headers["set-cookie"]',
];

/** Structured JSON logs on standard error (standard output is kept for results). */
export function createLogger(level: string, name = "guichet", destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
}
