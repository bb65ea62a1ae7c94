import { sendFeedback } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const REASONS = ["wrong", "incomplete", "outdated", "unclear", "off_topic", "other"];
let counter = 0;

/** 👍 / 👎 for one answer, then an optional reason and comment; sent to `/feedback` with the answer's run id. */
export function feedbackView(runId, maxComment) {
  const id = `feedback-${++counter}`;
  const status = h("p", { class: "fr-text--sm guichet-feedback-status", role: "status" });
  const reason = h("select", { class: "fr-select", id: `${id}-reason` },
    h("option", { value: "", text: t("feedback_reason_none") }),
    ...REASONS.map((r) => h("option", { value: r, text: t(`feedback_reason_${r}`) })));
  const comment = h("textarea", { class: "fr-input", id: `${id}-comment`, rows: 2, maxlength: maxComment });
  const details = h("div", { class: "guichet-feedback-details", hidden: true },
    h("div", { class: "fr-select-group" }, h("label", { class: "fr-label", for: `${id}-reason`, text: t("feedback_reason_label") }), reason),
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `${id}-comment`, text: t("feedback_comment_label") }), comment),
    h("button", { class: "fr-btn fr-btn--sm", type: "button", onclick: () => submit(), text: t("feedback_send") }));
  let rating;
  const choose = (value) => () => {
    rating = value;
    up.setAttribute("aria-pressed", String(value === "up"));
    down.setAttribute("aria-pressed", String(value === "down"));
    details.hidden = false;
    status.textContent = "";
  };
  const up = h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm", type: "button", "aria-pressed": "false", onclick: choose("up") },
    h("span", { "aria-hidden": "true", text: "👍 " }), t("feedback_up"));
  const down = h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm", type: "button", "aria-pressed": "false", onclick: choose("down") },
    h("span", { "aria-hidden": "true", text: "👎 " }), t("feedback_down"));
  const group = h("fieldset", { class: "guichet-feedback" },
    h("legend", { class: "fr-text--sm", text: t("feedback_question") }),
    h("div", { class: "guichet-feedback-buttons" }, up, down),
    details,
    status);

  async function submit() {
    if (!rating) return;
    const body = { run_id: runId, rating };
    if (reason.value) body.reason = reason.value;
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      await sendFeedback(body);
      done(t("feedback_thanks"));
    } catch (error) {
      if (error?.kind === "conflict") done(t("feedback_already"));
      else status.textContent = t("feedback_failed");
    }
  }
  function done(message) {
    details.remove();
    up.disabled = true;
    down.disabled = true;
    status.textContent = message;
  }
  return group;
}
