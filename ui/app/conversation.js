/** The conversation's thread id, kept in the browser so that a reload continues it. */
const KEY = "guichet.thread";

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function createConversation(enabled) {
  let id = enabled ? read() : undefined;
  let asked = false;
  function read() {
    try {
      return localStorage.getItem(KEY) ?? undefined;
    } catch {
      return undefined;
    }
  }
  function write(value) {
    try {
      if (value) localStorage.setItem(KEY, value);
      else localStorage.removeItem(KEY);
    } catch {
      // Storage refused (private mode): the conversation lasts as long as the page.
    }
  }
  return {
    enabled,
    /** The id a question is sent with (a fresh one on the first question of a conversation). */
    idForQuestion() {
      if (!enabled) return undefined;
      if (!id) {
        id = newId();
        write(id);
      }
      asked = true;
      return id;
    },
    /** The id kept from an earlier visit, if any (its turns are restored from the server). */
    stored: () => (enabled && !asked ? id : undefined),
    current: () => id,
    /** Forgets the id: the next question starts a new conversation. */
    forget() {
      id = undefined;
      asked = false;
      write(undefined);
    },
  };
}
