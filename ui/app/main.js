import { ask, eraseThread, getThread } from "./api.js";
import { createConversation } from "./conversation.js";
import { longDate, t, useLanguage } from "./i18n.js";
import { restoredTurn, turnView } from "./turn.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("guichet-config").textContent || "{}");
const options = {
  maxQuestionChars: config.maxQuestionChars ?? 500,
  maxCommentChars: config.maxCommentChars ?? 500,
  feedback: Boolean(config.feedback),
  sources: config.sources ?? [],
};
const conversation = createConversation(Boolean(config.threads));
const form = $("ask");
const input = $("question");
const send = $("send");
const turns = $("turns");
const status = $("status");
const announcer = $("announcer");
let running;
let waitUntil = 0;

followColourScheme();
await useLanguage(storedLanguage());
$("language").value = document.documentElement.lang;
describe();
await restore();
if (navigator.onLine === false) say(t("error_offline"));

$("language").addEventListener("change", async (event) => {
  const code = await useLanguage(event.target.value);
  try {
    localStorage.setItem("guichet.language", code);
  } catch {
    // Not kept: the language stays for this visit.
  }
  describe();
});
input.addEventListener("input", count);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void submit();
});
$("new-conversation").addEventListener("click", () => {
  startOver();
  say(t("new_started"), "polite");
  input.focus();
});
$("erase-conversation").addEventListener("click", () => $("erase-dialog").showModal());
$("erase-dialog").addEventListener("close", () => {
  if ($("erase-dialog").returnValue === "erase") void erase();
  else $("erase-conversation").focus();
});
window.addEventListener("offline", () => say(t("error_offline")));
window.addEventListener("online", () => say(t("online_again"), "polite"));

async function submit() {
  const question = input.value.trim();
  if (running) return;
  if (question === "") return invalid(t("blocked_empty"));
  if ([...question].length > options.maxQuestionChars) return invalid(t("error_too_long", { max: options.maxQuestionChars }));
  if (Date.now() < waitUntil) return say(t("error_rate_limited", { seconds: Math.ceil((waitUntil - Date.now()) / 1000) }));
  clearInvalid();
  say("");
  const view = turnView(question, { ...options, language: document.documentElement.lang });
  $("empty").hidden = true;
  turns.append(view.element);
  view.element.scrollIntoView({ block: "nearest" });
  input.value = "";
  count();
  setRunning(new AbortController());
  const body = { question, language: document.documentElement.lang };
  const threadId = conversation.idForQuestion();
  if (threadId) body.thread_id = threadId;
  try {
    const response = await ask(body, (event) => {
      if (event.type === "progress") view.progress(event);
      else if (event.type === "token") view.token(String(event.text ?? ""));
      else if (event.type === "reset") view.reset();
    }, running.signal);
    announcer.textContent = t("answer_ready", { text: view.final(response) });
  } catch (error) {
    // The person started over while the answer came: that turn is gone from the screen, nothing to say.
    if (error?.name === "AbortError") return;
    const message = view.fail(error);
    if (error?.kind === "thread_expired") conversation.forget();
    if (error?.kind === "rate_limited") waitUntil = Date.now() + (error.retryAfterS ?? 10) * 1000;
    announcer.textContent = message;
  } finally {
    setRunning(undefined);
  }
}

function setRunning(controller) {
  running = controller;
  send.disabled = Boolean(controller);
  send.textContent = t(controller ? "sending" : "send");
}

/** A new conversation on screen and on the server side (a new thread id on the next question). */
function startOver() {
  running?.abort();
  conversation.forget();
  turns.replaceChildren();
  $("empty").hidden = false;
  say("");
}

async function erase() {
  const id = conversation.current();
  try {
    if (id) await eraseThread(id);
    startOver();
    say(t("erased"), "polite");
  } catch {
    say(t("erase_failed"));
  }
  $("erase-conversation").focus();
}

/** The turns of the conversation kept from an earlier visit; an expired one is simply forgotten. */
async function restore() {
  const id = conversation.stored();
  if (!id) return;
  try {
    const thread = await getThread(id);
    for (const turn of thread.turns ?? []) turns.append(restoredTurn(turn, options));
    $("empty").hidden = turns.children.length > 0;
  } catch (error) {
    if (error?.kind === "thread_expired" || error?.kind === "not_found") conversation.forget();
  }
}

/** Messages about the page itself (not an answer): errors are alerts, confirmations are polite. */
function say(message, politeness = "assertive") {
  status.setAttribute("aria-live", politeness);
  status.setAttribute("role", politeness === "assertive" ? "alert" : "status");
  status.replaceChildren();
  if (!message) return;
  const kind = politeness === "assertive" ? "error" : "success";
  const box = document.createElement("div");
  box.className = `fr-alert fr-alert--${kind} fr-alert--sm`;
  const p = document.createElement("p");
  p.textContent = message;
  box.append(p);
  status.append(box);
}

function invalid(message) {
  $("question-group").classList.add("fr-input-group--error");
  input.setAttribute("aria-invalid", "true");
  say(message);
  input.focus();
}

function clearInvalid() {
  $("question-group").classList.remove("fr-input-group--error");
  input.removeAttribute("aria-invalid");
}

function count() {
  const left = options.maxQuestionChars - [...input.value].length;
  $("question-count").textContent = t("chars_left", { n: Math.max(left, 0) });
}

/** The strings that carry figures: hint, counter, snapshot dates, licence. */
function describe() {
  $("question-hint").textContent = t("question_hint", { max: options.maxQuestionChars });
  input.setAttribute("maxlength", String(options.maxQuestionChars));
  count();
  const sources = config.sources ?? [];
  const dates = sources.map((s) => `${s.label} : ${longDate(s.snapshot_date)}`).join(" ; ");
  const latest = sources.map((s) => s.snapshot_date).sort().at(0);
  $("snapshot-notice").textContent = latest ? t("snapshot_notice", { date: longDate(latest) }) : "";
  $("footer-licence").textContent = t("footer_licence", { sources: sources.map((s) => s.label).join(", "), licence: config.licence ?? "" });
  $("footer-snapshot").textContent = dates ? t("footer_snapshot", { dates }) : "";
}

function storedLanguage() {
  try {
    return localStorage.getItem("guichet.language") ?? "fr";
  } catch {
    return "fr";
  }
}

/** DSFR's light and dark themes follow the system's setting. */
function followColourScheme() {
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => document.documentElement.setAttribute("data-fr-theme", dark.matches ? "dark" : "light");
  apply();
  dark.addEventListener("change", apply);
}
