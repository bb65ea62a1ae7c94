import { HumanMessage } from "@langchain/core/messages";
import { chatModelOf, withLlm } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import { loadConfig } from "../tools/config.js";
import { chatReply } from "./helpers/chat-replies.js";
import { subsetCapabilities } from "./helpers/fixtures.js";
import { chatRequests, llmCapabilities, scriptedProvider, waitForAborted } from "./helpers/llm.js";
import { startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedOpenAI();
});
afterAll(() => server.close());
beforeEach(() => {
  server.queue.length = 0;
  server.requests.length = 0;
});

describe("the translate, plan and guard roles", () => {
  it("go through the resilient provider: a 500 is retried, the reply read as a chat message", async () => {
    const caps = llmCapabilities(server);
    const translate = chatModelOf(caps, "translate")!;
    server.queue.push({ status: 500 }, chatReply("Combien coûte un passeport ?"));
    const message = await translate.invoke([new HumanMessage("How much is a passport?")]);
    expect(message.content).toBe("Combien coûte un passeport ?");
    expect(chatRequests(server)).toHaveLength(2);
    expect(chatModelOf(caps, "plan")).not.toBeNull();
  });

  it("bound their calls by the run's deadline, like the answer's", async () => {
    const plan = chatModelOf(llmCapabilities(server), "plan")!;
    server.queue.push({ status: 200, hang: true });
    const started = Date.now();
    const options = { deadlineAt: Date.now() + 150 } as Parameters<typeof plan.invoke>[1];
    await expect(plan.invoke([new HumanMessage("q")], options)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await waitForAborted(server)).toContain("/v1/chat/completions");
  });

    it("leave the guard's classifier off unless asked, so a question costs no extra model call", async () => {
    expect(chatModelOf(llmCapabilities(server), "guard")).toBeNull();
    expect(chatModelOf(withLlm(subsetCapabilities(), scriptedProvider(server), { guardClassifier: true }), "guard")).not.toBeNull();
    expect(loadConfig({}).guardLlm).toBe(false);
    expect(loadConfig({ GUICHET_GUARD_LLM: "true" }).guardLlm).toBe(true);
    expect(() => loadConfig({ GUICHET_GUARD_LLM: "yes" })).toThrow(/GUICHET_GUARD_LLM/);
  });

  it("answer an English question in English through one provider (translate in, answer, translate out)", async () => {
    const caps = llmCapabilities(server);
    server.queue.push(
      chatReply("Quel est le prix d'un passeport pour un adulte ?"),
      chatReply("Le passeport coûte 86 € pour un majeur [1]."),
      chatReply("The passport costs ⟦1⟧ for an adult ⟦2⟧."),
    );
    const response = await runGuichet(buildGraph(), { question: "How much does a passport cost for an adult?" }, { capabilities: caps });
    expect(response.language).toBe("en");
    expect(response.answer).toBe("The passport costs 86 € for an adult [1].");
    expect(response.citations[0]?.id).toBe("F34752");
    expect(response.degraded).toEqual([]);
    expect(chatRequests(server)).toHaveLength(3);
    // Every call is accounted for, per node: the question's translation, the answer, the answer's translation.
    expect(response.usage!.by_node.map((l) => [l.node, l.calls])).toEqual([["understand", 1], ["answer", 1], ["translate", 1]]);
    expect(response.usage!.total.input_tokens).toBe(30);
  });
});
