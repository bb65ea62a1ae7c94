import { pino, type Logger } from "pino";

/** Structured JSON logs on standard error (standard output is kept for results). */
export function createLogger(level: string, name = "guichet"): Logger {
  return pino({ name, level }, pino.destination(2));
}
