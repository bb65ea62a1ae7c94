/**
 * Loaded before the application (`tsx --import ./server/instrument.ts server/main.ts`, see package.json): the
 * OpenTelemetry SDK and its instrumentations must patch node:http, redis and pg before any module loads them.
 * Those are CommonJS modules (and fetch is traced through its diagnostics channel), so no ESM loader hook is
 * needed: none is registered, and the application's own ES modules load untouched.
 */
import { startTelemetry } from "./telemetry.js";

startTelemetry();
