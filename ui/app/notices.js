import { h } from "./dom.js";
import { t } from "./i18n.js";

/** A DSFR alert: `kind` is info, warning, error or success. */
export function alert(kind, title, body, role) {
  return h(
    "div",
    { class: `fr-alert fr-alert--${kind} fr-alert--sm guichet-alert`, ...(role ? { role } : {}) },
    title ? h("h3", { class: "fr-alert__title", text: title }) : null,
    body ? h("p", { text: body }) : null,
  );
}

const BLOCKED = new Set(["out_of_scope", "harm", "fraud", "injection", "empty", "too_long", "control_characters"]);
const DEGRADED = new Set(["llm_unavailable", "translation_unavailable", "budget_exceeded"]);

/** The notices of a final response, in plain words: refusal, nothing found, degraded modes, personal data removed. */
export function responseNotices(response) {
  const notices = [];
  if (response.blocked) {
    const reason = response.blocked.reason;
    notices.push(alert("info", t("blocked_title"), t(BLOCKED.has(reason) ? `blocked_${reason}` : "blocked_out_of_scope")));
  } else if (!response.found) {
    notices.push(alert("info", t("not_found_title"), t("not_found_body")));
  }
  const degraded = (response.degraded ?? []).filter((d) => d !== "guard_llm_unavailable" && d !== "llm_answer_rejected");
  if (degraded.length > 0) {
    const lines = [...new Set(degraded.map((d) => (DEGRADED.has(d) ? `degraded_${d}` : "degraded_other")))];
    notices.push(h("div", { class: "fr-alert fr-alert--warning fr-alert--sm guichet-alert" },
      h("h3", { class: "fr-alert__title", text: t("degraded_title") }),
      ...lines.map((key) => h("p", { text: t(key) }))));
  }
  if ((response.redacted ?? []).length > 0) {
    const list = response.redacted.map((type) => t(`pii_${type}`) === `pii_${type}` ? t("pii_other") : t(`pii_${type}`)).join(", ");
    notices.push(alert("info", "", t("redacted_notice", { list })));
  }
  return notices;
}

/** A failed call in plain words. */
export function errorMessage(error, maxChars) {
  switch (error?.kind) {
    case "rate_limited":
      return error.retryAfterS ? t("error_rate_limited", { seconds: error.retryAfterS }) : t("error_rate_limited_soon");
    case "network":
    case "offline":
    case "timeout":
    case "busy":
    case "thread_expired":
    case "auth":
      return t(`error_${error.kind}`);
    case "too_long":
      return t("error_too_long", { max: maxChars });
    case "invalid":
      return t("error_invalid");
    default:
      return t("error_server");
  }
}
