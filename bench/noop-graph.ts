import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

const NoopState = Annotation.Root({ question: Annotation<string>, step: Annotation<number> });

/**
 * Peer for the graph figures: the same shape as Guichet's graph (guard, conditional edge, three more
 * nodes) with nodes that do nothing, so its latency is the LangGraph runtime's own cost.
 */
export function buildNoopGraph() {
  const noop = (step: number) => async () => ({ step });
  return new StateGraph(NoopState)
    .addNode("guard", noop(1))
    .addNode("refuse", noop(2))
    .addNode("retrieve", noop(3))
    .addNode("answer", noop(4))
    .addNode("translate", noop(5))
    .addEdge(START, "guard")
    .addConditionalEdges("guard", (state) => (state.question === "" ? "refuse" : "retrieve"), ["refuse", "retrieve"])
    .addEdge("retrieve", "answer")
    .addEdge("answer", "translate")
    .addEdge("translate", END)
    .addEdge("refuse", END)
    .compile();
}
