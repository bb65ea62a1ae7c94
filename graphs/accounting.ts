import type { UsageRecord } from "../tools/llm/usage.js";
import type { Capabilities } from "./capabilities.js";

/** A spent daily budget: whose (`global` or a key's name) and in what unit. */
export interface BudgetBreach {
  scope: string;
  unit: "cost" | "tokens";
}

/** What a run asks of FinOps (server/finops.ts builds it from the budgets and the usage log). */
export interface RunAccounting {
  /** Whether this caller (key name, `jwt` or `anonymous`) has spent its daily budget or the global one. */
  overBudget(caller: string): Promise<BudgetBreach | false>;
  /** Counts the run's LLM calls against the budgets and appends them to the usage log (never throws). */
  charge(caller: string, usage: readonly UsageRecord[], cached: boolean): void;
}

/** The capabilities of a run that may not use the LLM: every node then takes its offline path. */
export function withoutLlm(capabilities: Capabilities): Capabilities {
  const offline = { ...capabilities };
  delete offline.llm;
  delete offline.grounded;
  delete offline.chatModels;
  delete offline.llmAdmission;
  return offline;
}
