import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LlmClaimChecker } from "../evals/claims/llm-checker.js";
import { calibrationMain } from "../evals/run-calibration.js";
import { tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";
import { scriptedProvider } from "./helpers/llm.js";
import { chatReply, startScriptedOpenAI, type ChatRequestBody, type ScriptedServer } from "./helpers/scripted-openai.js";

/**
 * A scripted judge that follows the prompts' contract: it splits on sentences, and calls a claim entailed when
 * the premise holds its first four words — a rule simple enough to predict, not a real judge.
 */
function scriptedJudge(body: ChatRequestBody) {
  const user = body.messages.find((m) => m.role === "user")!.content;
  if (body.messages[0]!.content.includes("découpes")) {
    const text = /<text>\n([\s\S]*)\n<\/text>/.exec(user)![1]!;
    return chatReply(body, JSON.stringify({ claims: text.split(/(?<=\.)\s+/).filter(Boolean) }));
  }
  const premise = /<premise>\n([\s\S]*)\n<\/premise>/.exec(user)![1]!;
  const claims = user.split("Affirmations :\n")[1]!.split("\n").map((line) => line.replace(/^\d+\. /, ""));
  const verdicts = claims.map((c) => (premise.includes(c.split(" ").slice(0, 4).join(" ")) ? "entailed" : "not_entailed"));
  return chatReply(body, "```json\n" + JSON.stringify({ verdicts }) + "\n```");
}

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedOpenAI();
});
afterAll(() => server.close());
beforeEach(() => {
  server.chat = scriptedJudge;
  server.requests.length = 0;
});

describe("LlmClaimChecker (judge role, scripted OpenAI-compatible server)", () => {
  it("splits claims and checks them with the versioned prompts, counting tokens and cost", async () => {
    const checker = new LlmClaimChecker(scriptedProvider(server).chat("judge"));
    expect(checker.name).toBe("llm:scripted-model");
    expect(await checker.claims("Le passeport coûte 86 €. Il est valable 10 ans.", "Combien coûte un passeport ?")).toEqual(["Le passeport coûte 86 €.", "Il est valable 10 ans."]);
    expect(await checker.check(["Le passeport coûte 86 €.", "La carte coûte 25 €."], "Le passeport coûte 86 € pour un adulte.")).toEqual(["entailed", "not_entailed"]);
    expect(await checker.check([], "x")).toEqual([]);
    const usage = checker.usage();
    expect(usage.by_node.map((l) => [l.node, l.model, l.calls])).toEqual([["judge", "scripted-model", 2]]);
    expect(usage.total.input_tokens).toBe(240);
    expect(usage.total.cost).toBeCloseTo((240 * 0.5 + 60 * 2) / 1000);
    const bodies = server.requests.map((r) => r.body as ChatRequestBody);
    expect(bodies[1]!.messages[1]!.content).toContain("1. Le passeport coûte 86 €.\n2. La carte coûte 25 €.");
    expect(bodies[0]!.messages[0]!.content).toContain('{"claims"');
  });

  it("asks again when the reply is not the JSON asked for, and gives up after its retries", async () => {
    const checker = new LlmClaimChecker(scriptedProvider(server).chat("judge"), { retries: 1 });
    server.queue.push(chatReply({ model: "scripted-model", messages: [] }, "Bien sûr ! Voici."));
    expect(await checker.check(["Le passeport coûte 86 €."], "Le passeport coûte 86 €.")).toEqual(["entailed"]);
    expect(checker.invalidReplies).toBe(1);
    const retried = server.requests.at(-1)!.body as ChatRequestBody;
    expect(retried.messages.at(-1)!.content).toMatch(/Réponse inutilisable \(not JSON\)/);

    server.chat = (body) => chatReply(body, JSON.stringify({ verdicts: ["entailed"] }));
    await expect(checker.check(["a", "b"], "c")).rejects.toThrow(/entail.v1 is not usable after 2 tries: one verdict per claim is needed/);
    server.chat = (body) => chatReply(body, JSON.stringify({ verdicts: ["maybe"] }));
    await expect(checker.check(["a"], "c")).rejects.toThrow(/verdicts.0/);
  });
});

describe("npm run eval:calibrate with the scripted server as judge", () => {
  it("prints the calibration table: accuracy and kappa of the judge and of the offline checker", async () => {
    const dir = tempDir("guichet-calibrate-");
    const pairs = join(dir, "pairs.jsonl");
    const pair = (id: string, split: string, claim: string, entailed: boolean, kind: string) => ({ id, split, chunk: "F1#0", passage: "Le passeport coûte 86 € pour un adulte. Il est valable 10 ans.", claim, entailed, kind });
    writeFileSync(
      pairs,
      [
        pair("c1", "dev", "Le passeport coûte 86 €.", true, "verbatim"),
        pair("c2", "dev", "Le passeport coûte 96 €.", false, "wrong_number"),
        pair("c3", "test", "Il est valable 10 ans.", true, "verbatim"),
        pair("c4", "test", "Un adulte paie 86 € son passeport.", true, "paraphrase"),
        pair("c5", "test", "Il est valable 15 ans.", false, "wrong_delay"),
        pair("c6", "test", "La carte d'identité est gratuite.", false, "unrelated"),
      ].map((p) => JSON.stringify(p)).join("\n"),
    );
    const env = { GUICHET_JUDGE_API_KEY: "sk-test-not-a-secret", GUICHET_JUDGE_BASE_URL: server.url, OPENAI_MODEL: "scripted-model" };
    const io = memoryIo(env);
    expect(await calibrationMain(["--pairs", pairs], io)).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^checker\s+split\s+n\s+entailed\s+accuracy\s+kappa/m);
    // The scripted rule ("the first four words are in the passage") gets every pair right but the paraphrase:
    // 5 of 6 agree, chance agreement is 0.5 (half labelled entailed, a third judged so), kappa (5/6 − 0.5) / 0.5.
    expect(out).toMatch(/^llm:scripted-model\s+all\s+6\s+3\s+0\.833\s+0\.667\s+0\.667\s+1\.000$/m);
    expect(out).toMatch(/^offline\s+all\s+6\s+3\s+1\.000\s+1\.000/m);
    expect(out).toMatch(/^paraphrase\s+1\s+1\.000\s+0\.000$/m);

    const json = memoryIo(env);
    expect(await calibrationMain(["--pairs", pairs, "--checker", "llm", "--split", "test", "--json"], json)).toBe(0);
    const [result] = JSON.parse(json.out()) as Array<{ all: { n: number }; usage: { input_tokens: number }; invalid_replies: number }>;
    expect(result!.all.n).toBe(4);
    expect(result!.usage.input_tokens).toBe(4 * 120);
    expect(result!.invalid_replies).toBe(0);

    const offlineOnly = memoryIo({});
    expect(await calibrationMain(["--pairs", pairs], offlineOnly)).toBe(0);
    expect(offlineOnly.err()).toContain("no LLM judge configured");
    await expect(calibrationMain(["--pairs", pairs, "--split", "nope"], memoryIo({}))).rejects.toThrow(/no pairs in split nope/);
  });
});
