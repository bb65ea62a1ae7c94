import type { Attributes } from "@opentelemetry/api";
import { withSpan } from "./tracing.js";

type NodeUpdate = { timings?: Record<string, number> } & Record<string, unknown>;

/**
 * Wraps a graph node: runs it inside a span named after the node (a child of the run's span),
 * sets the attributes `describe` derives from its update, and records its duration in `timings`.
 */
export function tracedNode<S, C, U extends NodeUpdate>(
  name: string,
  node: (state: S, config: C) => Promise<U> | U,
  describe: (update: U, state: S) => Attributes = () => ({}),
): (state: S, config: C) => Promise<U> {
  const traced = async (state: S, config: C): Promise<U> =>
    withSpan(name, { "guichet.node": name }, async (span) => {
      const started = performance.now();
      const update = await node(state, config);
      const ms = Math.round((performance.now() - started) * 1000) / 1000;
      span.setAttributes(describe(update, state));
      return { ...update, timings: { ...(update.timings ?? {}), [name]: ms } };
    });
  Object.defineProperty(traced, "name", { value: name });
  return traced;
}
