import type { Attributes } from "@opentelemetry/api";
import { record } from "./metrics.js";
import { withSpan } from "./tracing.js";

type NodeUpdate = { timings?: Record<string, number> } & Record<string, unknown>;

type ProgressWriter = (event: { type: "progress"; node: string; status: "started" | "finished"; ms?: number }) => void;

/** The run's stream writer when the caller streams the run (context.stream), else undefined. */
function progressWriter(config: unknown): ProgressWriter | undefined {
  const c = config as { writer?: unknown; context?: { stream?: boolean } } | undefined;
  return c?.context?.stream && typeof c.writer === "function" ? (c.writer as ProgressWriter) : undefined;
}

/**
 * Wraps a graph node: runs it inside a span named after the node (a child of the run's span),
 * sets the attributes `describe` derives from its update, and records its duration in `timings` and in the
 * `guichet_node_duration_seconds` histogram; a streamed
 * run also gets `progress` events (started, finished) through the run's writer.
 */
export function tracedNode<S, C, U extends NodeUpdate>(
  name: string,
  node: (state: S, config: C) => Promise<U> | U,
  describe: (update: U, state: S) => Attributes = () => ({}),
): (state: S, config: C) => Promise<U> {
  const traced = async (state: S, config: C): Promise<U> =>
    withSpan(name, { "guichet.node": name }, async (span) => {
      const started = performance.now();
      const progress = progressWriter(config);
      progress?.({ type: "progress", node: name, status: "started" });
      const update = await node(state, config);
      const elapsed = performance.now() - started;
      record.node(name, elapsed / 1000);
      const ms = Math.round(elapsed * 1000) / 1000;
      progress?.({ type: "progress", node: name, status: "finished", ms });
      span.setAttributes(describe(update, state));
      return { ...update, timings: { [name]: ms, ...(update.timings ?? {}) } };
    });
  Object.defineProperty(traced, "name", { value: name });
  return traced;
}
