/**
 * Loaded before the application (`tsx --import ./server/instrument.ts server/main.ts`, see package.json): the
 * OpenTelemetry SDK and its instrumentations must patch node:http, fetch, redis and pg before any module imports
 * them. ESM modules are patched through the import-in-the-middle hook registered here.
 */
import { register } from "node:module";
import { startTelemetry, tracingRequested } from "./telemetry.js";

if (tracingRequested()) register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
startTelemetry();
