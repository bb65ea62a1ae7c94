import { BulkheadPolicy, BulkheadRejectedError } from "cockatiel";

export type ShedReason = "queue_full" | "deadline";

/** A run turned away before any LLM work: answered 503 with Retry-After at once. */
export class LoadShedError extends Error {
  constructor(
    readonly reason: ShedReason,
    readonly retryAfterS: number,
  ) {
    super(reason === "queue_full" ? "too many questions are waiting for the language model" : "this question could not be answered within its deadline");
    this.name = "LoadShedError";
  }
}

export interface AdmissionSettings {
  /** Runs doing LLM work at once. */
  concurrency: number;
  /** Runs allowed to wait for a slot; beyond, new ones are shed. */
  queueLength: number;
  /** A run that would start with less time than this before its deadline is shed rather than started. */
  minRemainingMs: number;
}

/**
 * The bounded queue in front of LLM work (cockatiel's bulkhead): at most `concurrency` runs hold a slot, at most
 * `queueLength` wait for one. A run is shed, never piled up, when the queue is full or when its deadline would
 * pass before it could do its work. Cached and offline answers never come here.
 */
export class LlmAdmission {
  private readonly bulkhead: BulkheadPolicy;
  private readonly shed: Record<ShedReason, number> = { queue_full: 0, deadline: 0 };
  /** Smoothed seconds a run holds its slot: how long a caller turned away should wait. */
  private holdS = 2;

  constructor(
    readonly settings: AdmissionSettings,
    private readonly onShed?: (reason: ShedReason) => void,
  ) {
    this.bulkhead = new BulkheadPolicy(settings.concurrency, settings.queueLength);
  }

  /** Waits for a slot and gives the function that frees it, or throws LoadShedError. */
  async admit(deadlineAt?: number): Promise<() => void> {
    let free!: () => void;
    const done = new Promise<void>((resolve) => (free = resolve));
    let begin!: () => void;
    const begun = new Promise<"started">((resolve) => (begin = () => resolve("started")));
    const giveUp = new AbortController();
    const held = this.bulkhead
      .execute(async () => {
        begin();
        const since = performance.now();
        await done;
        this.holdS = 0.8 * this.holdS + 0.2 * ((performance.now() - since) / 1000);
      }, giveUp.signal)
      .then(
        () => "ended" as const,
        (error: unknown) => (error instanceof BulkheadRejectedError ? ("full" as const) : ("cancelled" as const)),
      );
    const latestStart = deadlineAt === undefined ? undefined : deadlineAt - this.settings.minRemainingMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      if (latestStart !== undefined) timer = setTimeout(() => resolve("late"), Math.max(0, latestStart - Date.now()));
    });
    const outcome = await Promise.race([begun, held, late]);
    clearTimeout(timer);
    if (outcome === "started" && (latestStart === undefined || Date.now() <= latestStart)) return free;
    // Turned away: a queued entry is cancelled, a started one ends at once.
    giveUp.abort();
    free();
    throw this.reject(outcome === "full" ? "queue_full" : "deadline");
  }

  private reject(reason: ShedReason): LoadShedError {
    this.shed[reason] += 1;
    this.onShed?.(reason);
    const waiting = this.settings.queueLength - this.bulkhead.queueSlots;
    const retryAfterS = Math.max(1, Math.ceil((this.holdS * (waiting + 1)) / this.settings.concurrency));
    return new LoadShedError(reason, retryAfterS);
  }

  status() {
    return {
      concurrency: this.settings.concurrency,
      active: this.settings.concurrency - this.bulkhead.executionSlots,
      queued: this.settings.queueLength - this.bulkhead.queueSlots,
      queue_length: this.settings.queueLength,
      shed: { ...this.shed },
    };
  }
}
