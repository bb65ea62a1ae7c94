import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { RetrieveOptions, Retriever } from "./retriever.js";

export interface FicheMetadata extends Record<string, unknown> {
  ficheId: string;
  chunkId: string;
  title: string;
  breadcrumb: string;
  url: string;
  date: string;
  audience: string;
  source: string;
  score: number;
  rank: number;
}

/** Guichet's retrieval as a LangChain retriever, for agents and chains: one Document per passage. */
export class GuichetRetriever extends BaseRetriever<FicheMetadata> {
  lc_namespace = ["guichet", "retrievers"];

  constructor(
    private readonly retriever: Retriever,
    private readonly options: RetrieveOptions = {},
    fields: BaseRetrieverInput = {},
  ) {
    super(fields);
  }

  override async _getRelevantDocuments(query: string): Promise<Document<FicheMetadata>[]> {
    return this.retriever.search(query, this.options).map(
      (hit) =>
        new Document<FicheMetadata>({
          pageContent: hit.chunk.text,
          metadata: {
            ficheId: hit.chunk.ficheId,
            chunkId: hit.chunk.id,
            title: hit.chunk.title,
            breadcrumb: hit.chunk.breadcrumb,
            url: hit.chunk.url,
            date: hit.chunk.date,
            audience: hit.chunk.audience,
            source: hit.chunk.source,
            score: hit.score,
            rank: hit.rank,
          },
        }),
    );
  }
}

/** The same search as a LangChain tool an agent can call; passages come back numbered with their sources. */
export function searchFichesTool(retriever: Retriever, defaults: RetrieveOptions = {}) {
  return tool(
    async ({ query, k }) => {
      const hits = retriever.search(query, { ...defaults, k: k ?? defaults.k ?? 5 });
      if (hits.length === 0) return "Aucune fiche trouvée.";
      return hits
        .map((h) => `[${h.rank}] ${h.chunk.breadcrumb} (${h.chunk.ficheId}, ${h.chunk.date}) ${h.chunk.url}\n${h.chunk.text}`)
        .join("\n\n");
    },
    {
      name: "search_service_public_fiches",
      description:
        "Searches the official service-public.fr fiches (French public-service procedures) and returns the best passages with their sources.",
      schema: z.object({
        query: z.string().min(1).describe("the question or keywords, in French"),
        k: z.number().int().min(1).max(20).optional().describe("number of passages (default 5)"),
      }),
    },
  );
}
