import { answerBlocks } from "./answer-text.js";
import { h, hostOf, safeHttpsUrl } from "./dom.js";
import { feedbackView } from "./feedback.js";
import { longDate, t } from "./i18n.js";
import { alert, errorMessage, responseNotices } from "./notices.js";

let turns = 0;

/** Words for a node that started: the run's progress, as the person reads it. */
const PROGRESS = { guard: "progress_guard", understand: "progress_understand", contextualize: "progress_understand", plan: "progress_understand", retrieve: "progress_retrieve", answer: "progress_answer", translate: "progress_translate" };

/**
 * One question and its answer in the conversation. The answer streams into a region that is `aria-busy` until
 * the final response; the page announces the complete answer once (see main.js), never token by token.
 */
export function turnView(question, options) {
  const n = ++turns;
  const progress = h("p", { class: "fr-text--sm guichet-progress", text: t("progress_started") });
  const text = h("div", { class: "guichet-text" });
  const answer = h("article", { class: "guichet-answer", "aria-busy": "true", "aria-label": t("guichet") },
    h("p", { class: "guichet-who", text: t("guichet") }), progress, text);
  const element = h("li", { class: "guichet-turn", id: `turn-${n}` },
    h("div", { class: "guichet-question" }, h("p", { class: "guichet-who", text: t("you") }), h("p", { class: "guichet-question-text", lang: options.language, text: question })),
    answer);
  let streamed = "";

  return {
    element,
    progress(event) {
      if (event.status !== "started") return;
      const key = PROGRESS[event.node];
      if (key) progress.textContent = t(key);
    },
    token(value) {
      streamed += value;
      text.textContent = streamed;
    },
    reset() {
      streamed = "";
      text.textContent = "";
      progress.textContent = t("progress_reset");
    },
    /** The final response: the text with its citation markers, notices, sources, actions and feedback. */
    final(response) {
      progress.remove();
      fill(answer, text, n, question, response, options);
      answer.setAttribute("aria-busy", "false");
      return plainAnswer(response);
    },
    fail(error) {
      progress.remove();
      text.replaceChildren();
      answer.setAttribute("aria-busy", "false");
      answer.append(alert("error", t("error_title"), errorMessage(error, options.maxQuestionChars)));
      return errorMessage(error, options.maxQuestionChars);
    },
  };
}

/** A turn restored from the server (`GET /threads/:id`): its text and sources, no feedback. */
export function restoredTurn(turn, options) {
  const view = turnView(turn.question, options);
  view.final({ answer: turn.answer, citations: turn.citations ?? [], actions: [], found: true, blocked: false, redacted: [], degraded: [], language: turn.language });
  return view.element;
}

const normalized = (text) => String(text).toLowerCase().replace(/[\s?!.]+/g, " ").trim();

function fill(answer, text, n, question, response, options) {
  const citations = (response.citations ?? []).filter((c) => Number.isInteger(c.n));
  const anchorOf = (k) => (citations.some((c) => c.n === k) ? { id: `cite-${n}-${k}`, label: `${t("sources_heading")} ${k}` } : undefined);
  const body = visibleAnswer(response);
  text.replaceChildren(...answerBlocks(body, anchorOf));
  // The text's own language: French when it could not be translated (its notice says so in the language asked).
  const language = (response.degraded ?? []).includes("translation_unavailable") ? "fr" : response.language;
  if (language) {
    text.setAttribute("lang", language);
    text.setAttribute("dir", language === "ar" ? "rtl" : "ltr");
  }
  if (response.understood_as && normalized(response.understood_as) !== normalized(question)) {
    answer.insertBefore(h("p", { class: "fr-text--sm guichet-understood", text: t("understood_as", { text: response.understood_as }) }), text);
  }
  answer.append(...responseNotices(response));
  if (citations.length > 0) answer.append(sourcesList(citations, n));
  const actions = (response.actions ?? []).filter((a) => safeHttpsUrl(a.url));
  if (actions.length > 0) answer.append(actionsList(actions));
  const snapshot = snapshotOf(citations, response, options.sources ?? []);
  if (snapshot) {
    answer.append(h("p", { class: "fr-text--xs guichet-answer-snapshot", text: t("snapshot_of_answer", { date: longDate(snapshot), licence: response.sources.licence }) }));
  }
  if (response.run_id && options.feedback) answer.append(feedbackView(response.run_id, options.maxCommentChars));
}

/**
 * The snapshot date of the sources this answer cites (each source of the knowledge base has its own); the
 * knowledge base's date when no cited address is one of them.
 */
function snapshotOf(citations, response, sources) {
  if (!response.sources?.snapshot_date) return undefined;
  const dates = citations.map((c) => sources.find((s) => s.label === hostOf(c.url))?.snapshot_date).filter(Boolean);
  return dates.sort().at(0) ?? response.sources.snapshot_date;
}

/**
 * The answer as shown: the API appends its own French notice as the last paragraph when personal data was removed;
 * the page shows that notice as an alert in the page's language instead.
 */
function visibleAnswer(response) {
  const answer = String(response.answer ?? "");
  if ((response.redacted ?? []).length === 0) return answer;
  const paragraphs = answer.split(/\n{2,}/);
  return paragraphs.length > 1 ? paragraphs.slice(0, -1).join("\n\n") : answer;
}

function plainAnswer(response) {
  return visibleAnswer(response).replace(/\s*\[\d{1,2}\]/g, "").replace(/\s+/g, " ").trim();
}

function sourcesList(citations, n) {
  return h("section", { class: "guichet-sources", "aria-label": t("sources_heading") },
    h("h3", { class: "fr-text--md guichet-sources-title", text: t("sources_heading") }),
    h("ol", { class: "guichet-citations" }, ...citations.map((c) => {
      const url = safeHttpsUrl(c.url);
      const title = `[${c.n}] ${c.title}`;
      return h("li", { id: `cite-${n}-${c.n}` },
        url
          ? h("a", { class: "fr-link", href: url, target: "_blank", rel: "noopener noreferrer", title: `${c.title} — ${t("opens_new_window")}` }, title)
          : h("span", { text: title }),
        h("span", { class: "fr-text--xs guichet-source-meta", text: ` ${t("source_meta", { date: longDate(c.date), host: hostOf(c.url) || "service-public.fr" })}` }));
    })));
}

function actionsList(actions) {
  return h("section", { class: "guichet-actions", "aria-label": t("actions_heading") },
    h("h3", { class: "fr-text--md", text: t("actions_heading") }),
    h("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm" }, ...actions.map((a) =>
      h("li", {}, h("a", { class: "fr-btn fr-btn--secondary fr-btn--sm", href: safeHttpsUrl(a.url), target: "_blank", rel: "noopener noreferrer", title: `${a.title} — ${t("opens_new_window")}`, text: a.title })))));
}
