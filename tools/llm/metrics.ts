import { countedEvents } from "../telemetry/counters.js";

/** Runs turned away before LLM work, by reason (`queue_full`, `deadline`): `guichet.llm.shed`. */
export const llmShed = countedEvents("guichet.llm.shed", "reason", "Runs shed by the LLM queue, by reason");
