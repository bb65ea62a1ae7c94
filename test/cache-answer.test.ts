import { AnswerCache, type CacheLookup } from "../tools/cache/answer-cache.js";
import { cacheTermWeight } from "../tools/cache/create.js";
import { MemoryCacheBackend } from "../tools/cache/memory-backend.js";
import { exactForm, questionSignature, signatureSimilarity } from "../tools/cache/question-signature.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const caps = subsetCapabilities();
const termWeight = cacheTermWeight(caps.search.lexical);
const corrector = caps.search.lexical.spelling;
const similarity = (a: string, b: string) =>
  signatureSimilarity(questionSignature(a, termWeight, corrector), questionSignature(b, termWeight, corrector));

function memoryCache(options: { threshold?: number | null; lockMs?: number; waitMs?: number; maxEntries?: number; maxBytes?: number; ttlMs?: number; namespace?: string } = {}) {
  const backend = new MemoryCacheBackend<string>({
    maxEntries: options.maxEntries ?? 100,
    maxBytes: options.maxBytes ?? 1_000_000,
    ttlMs: options.ttlMs ?? 60_000,
  });
  return new AnswerCache(backend, {
    namespace: options.namespace ?? "ns-1",
    threshold: options.threshold === undefined ? 0.8 : options.threshold,
    lockMs: options.lockMs ?? 1_000,
    waitMs: options.waitMs ?? 1_000,
    termWeight,
    corrector,
    pollMs: 5,
  });
}

async function answerOnce(cache: AnswerCache<string>, question: string, value: string, language = "fr"): Promise<CacheLookup<string>> {
  const found = await cache.lookup(question, language);
  if (found.kind === "miss") await cache.store(found.ticket, value);
  return found;
}

describe("question signature", () => {
  it("folds case, accents and punctuation for the exact layer", () => {
    expect(exactForm("  Combien coûte un PASSEPORT ?? ")).toBe(exactForm("combien coute un passeport"));
    expect(exactForm("Passeport majeur")).not.toBe(exactForm("Passeport mineur"));
  });

  it("rates a rewording high and a question that asks something else, or for other numbers, zero", () => {
    expect(similarity("Combien coûte un passeport ?", "quel est le prix d'un passeport")).toBeGreaterThan(0.8);
    expect(similarity("combien coute un passseport", "Combien coûte un passeport ?")).toBeGreaterThan(0.9);
    // What is asked: a price is not a delay.
    expect(similarity("Combien coûte un passeport ?", "Combien de temps pour avoir un passeport ?")).toBe(0);
    // Numbers and negations must be the same.
    expect(similarity("allocations familiales pour 2 enfants", "allocations familiales pour 3 enfants")).toBe(0);
    expect(similarity("allocations familiales pour deux enfants", "allocations familiales pour 2 enfants")).toBeGreaterThan(0.9);
    expect(similarity("je suis salarié, ai-je droit à la prime ?", "je ne suis pas salarié, ai-je droit à la prime ?")).toBe(0);
    // A rare word that differs weighs much.
    expect(similarity("passeport pour un majeur", "passeport pour un mineur")).toBeLessThan(0.8);
  });
});

describe("answer cache (memory)", () => {
  it("serves an identical question, then a reworded one above the threshold, never across languages or namespaces", async () => {
    const cache = memoryCache();
    expect((await answerOnce(cache, "Combien coûte un passeport ?", "86 €")).kind).toBe("miss");
    expect(await cache.lookup("combien coute un passeport", "fr")).toMatchObject({ kind: "exact", value: "86 €" });
    const near = await cache.lookup("quel est le prix d'un passeport ?", "fr");
    expect(near).toMatchObject({ kind: "semantic", value: "86 €", question: "Combien coûte un passeport ?" });
    expect((near as { similarity: number }).similarity).toBeGreaterThanOrEqual(0.8);
    expect((await cache.lookup("Combien coûte un passeport ?", "en")).kind).toBe("miss");
    const other = new AnswerCache(cache.backend, { ...cache.options, namespace: "ns-2" });
    expect((await other.lookup("Combien coûte un passeport ?", "fr")).kind).toBe("miss");
  });

  it("with the semantic layer off, serves identical questions only", async () => {
    const cache = memoryCache({ threshold: null });
    await answerOnce(cache, "Combien coûte un passeport ?", "86 €");
    expect((await cache.lookup("quel est le prix d'un passeport ?", "fr")).kind).toBe("miss");
  });

  it("stays within its entry and byte bounds, and forgets entries after their TTL", async () => {
    const few = memoryCache({ maxEntries: 2 });
    for (const q of ["prix du passeport", "perte de la carte vitale", "carte grise perdue"]) await answerOnce(few, q, q);
    expect(few.backend.status().entries).toBe(2);
    expect((await few.lookup("prix du passeport", "fr")).kind).toBe("miss");

    const small = memoryCache({ maxBytes: 3_000 });
    await answerOnce(small, "prix du passeport", "x".repeat(10_000));
    expect(small.backend.status().entries).toBe(0);

    const brief = memoryCache({ ttlMs: 30 });
    await answerOnce(brief, "prix du passeport", "86 €");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await brief.lookup("prix du passeport", "fr")).kind).toBe("miss");
  });

  it("computes concurrent identical misses once: the others wait for the answer", async () => {
    const cache = memoryCache();
    const first = await cache.lookup("Combien coûte un passeport ?", "fr");
    expect(first.kind).toBe("miss");
    const waiting = Promise.all([1, 2, 3].map(() => cache.lookup("Combien coûte un passeport ?", "fr")));
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (first.kind === "miss") await cache.store(first.ticket, "86 €");
    expect((await waiting).map((w) => w.kind)).toEqual(["exact", "exact", "exact"]);
  });

  it("a waiter whose lock holder dies computes the answer itself, and a bounded wait ends", async () => {
    const cache = memoryCache({ lockMs: 40, waitMs: 2_000 });
    const holder = await cache.lookup("prix du passeport", "fr");
    expect(holder.kind === "miss" && holder.ticket.token).toBeTruthy();
    // The holder never stores nor releases (it died): its lock expires and the waiter takes it.
    const started = Date.now();
    const waiter = await cache.lookup("prix du passeport", "fr");
    expect(waiter.kind === "miss" && waiter.ticket.token).toBeTruthy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);

    const patient = memoryCache({ lockMs: 10_000, waitMs: 50 });
    await patient.lookup("carte grise perdue", "fr");
    const gaveUp = await patient.lookup("carte grise perdue", "fr");
    expect(gaveUp.kind === "miss" && gaveUp.ticket.token).toBeNull();
  });

  it("a released lock lets the next identical question compute at once", async () => {
    const cache = memoryCache({ lockMs: 10_000 });
    const holder = await cache.lookup("prix du passeport", "fr");
    const waiter = cache.lookup("prix du passeport", "fr");
    if (holder.kind === "miss") await cache.release(holder.ticket);
    const after = await waiter;
    expect(after.kind === "miss" && after.ticket.token).toBeTruthy();
  });
});
