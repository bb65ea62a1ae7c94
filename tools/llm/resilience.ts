import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
} from "cockatiel";
import { isTransient, LlmUnavailableError, retryAfterMs, statusOf } from "./errors.js";
import type { ResilienceSettings } from "./settings.js";
import { record } from "../telemetry/metrics.js";

export type BreakerState = "closed" | "open" | "half_open" | "isolated";

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
};

/** The endpoint as a metrics label: its host only (a base URL may carry a path or credentials). */
export function endpointLabel(endpoint: string): string {
  try {
    return new URL(endpoint).host || "unknown";
  } catch {
    return "unknown";
  }
}

export interface CallOptions {
  /** The caller's signal (client gone, request timeout): aborts the HTTP call and is rethrown as is. */
  signal?: AbortSignal;
  /** Epoch milliseconds after which no call is started and any running one is aborted. */
  deadlineAt?: number;
  /** Asked before each retry; a streamed call that already emitted tokens says no. */
  canRetry?: () => boolean;
}

export interface CallResult<T> {
  value: T;
  attempts: number;
}

/**
 * Retries with exponential back-off and jitter (or the server's Retry-After), a per-call timeout, and one
 * circuit breaker per endpoint, all from cockatiel. Every failure ends as an LlmUnavailableError, except a
 * caller's abort, which is rethrown so the run stops.
 */
export class Resilience {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(
    readonly settings: ResilienceSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** The endpoint's breaker (shared by every role calling that base URL). */
  breaker(endpoint: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(endpoint);
    if (!breaker) {
      breaker = circuitBreaker(
        handleWhen((error) => isTransient(error)),
        { halfOpenAfter: this.settings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(this.settings.breakerFailures) },
      );
      const label = endpointLabel(endpoint);
      breaker.onStateChange((state) => {
        const to = BREAKER_STATES[state];
        if (to !== "isolated") record.breakerTransition(label, to);
      });
      this.breakers.set(endpoint, breaker);
    }
    return breaker;
  }

  /** Each endpoint's breaker state, for `/ready` and the `guichet_llm_breaker_state` gauge. */
  breakerStates(): Array<{ endpoint: string; state: BreakerState }> {
    return [...this.breakers].map(([endpoint, breaker]) => ({ endpoint: endpointLabel(endpoint), state: BREAKER_STATES[breaker.state] }));
  }

  stateOf(endpoint: string): BreakerState {
    return BREAKER_STATES[this.breaker(endpoint).state];
  }

  /** Milliseconds to wait before retry number `attempt` (1-based): Retry-After when given, else capped 2^n back-off with jitter. */
  delayFor(attempt: number, error: unknown): number {
    const hinted = retryAfterMs(error);
    if (hinted !== undefined) return Math.min(hinted, this.settings.retryAfterMaxMs);
    const ceiling = Math.min(this.settings.backoffMaxMs, this.settings.backoffMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  async call<T>(endpoint: string, fn: (signal: AbortSignal) => Promise<T>, options: CallOptions = {}): Promise<CallResult<T>> {
    const { deadlineAt } = options;
    if (deadlineAt !== undefined && deadlineAt - Date.now() <= 0) {
      throw new LlmUnavailableError("deadline", "the request deadline has passed");
    }
    const deadline = deadlineAt !== undefined ? AbortSignal.timeout(Math.max(0, deadlineAt - Date.now())) : undefined;
    const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const outer = signals.length > 0 ? AbortSignal.any(signals) : new AbortController().signal;
    const retries = retry(
      handleWhen((error) => isTransient(error) && (options.canRetry?.() ?? true)),
      {
        maxAttempts: this.settings.retries,
        backoff: new DelegateBackoff((context: IRetryBackoffContext<unknown>) => {
          const wait = this.delayFor(context.attempt, "error" in context.result ? context.result.error : undefined);
          // Waiting past the deadline is pointless: give up now (cockatiel rethrows what the backoff throws).
          if (deadlineAt !== undefined && Date.now() + wait >= deadlineAt) {
            throw new LlmUnavailableError("deadline", `retry in ${wait} ms would pass the request deadline`, {
              cause: "error" in context.result ? context.result.error : undefined,
            });
          }
          return wait;
        }),
      },
    );
    const policy = wrap(
      retries,
      this.breaker(endpoint),
      timeout(this.settings.callTimeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: true }),
    );
    let attempts = 0;
    try {
      const value = await policy.execute(({ signal }) => {
        attempts += 1;
        return fn(signal);
      }, outer);
      return { value, attempts };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      if (error instanceof LlmUnavailableError) throw error;
      if (deadline?.aborted) throw new LlmUnavailableError("deadline", "the request deadline has passed", { cause: error });
      if (error instanceof BrokenCircuitError) {
        throw new LlmUnavailableError("breaker_open", `circuit open for ${endpoint}`, { cause: error });
      }
      if (isTransient(error)) {
        throw new LlmUnavailableError("failed", `LLM call failed after ${attempts} attempt(s)`, { cause: error });
      }
      const status = statusOf(error);
      if (status !== undefined && status >= 400 && status < 500) {
        throw new LlmUnavailableError("rejected", `LLM endpoint rejected the request (HTTP ${status})`, { cause: error });
      }
      throw new LlmUnavailableError("failed", "LLM call failed", { cause: error });
    }
  }
}
