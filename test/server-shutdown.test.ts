import { jest } from "@jest/globals";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { context, propagation, trace } from "@opentelemetry/api";
import { pino } from "pino";
import { main, startServer, type RunningServer } from "../server/main.js";
import { loadConfig, type AppConfig } from "../tools/config.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

let dir: string;
const silent = pino({ level: "silent" });

function config(extra: Record<string, string> = {}): AppConfig {
  return loadConfig({
    GUICHET_INDEX_DIR: dir,
    GUICHET_SOURCE: "vdd-xml",
    GUICHET_SOURCE_PATH: FIXTURES_35,
    PORT: "0",
    LOG_LEVEL: "silent",
    GUICHET_FEEDBACK: "off",
    ...extra,
  });
}

beforeAll(() => {
  dir = tempDir();
  // The ingest progress bar writes to the process' standard error.
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterAll(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const portOf = (running: RunningServer) => (running.server.address() as AddressInfo).port;

/** A raw HTTP/1.1 client, to hold a request open half-sent. */
function rawClient(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  let raw = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (raw += d));
  const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  /** Resolves with the status line and body once a full response (Content-Length) has arrived. */
  const response = new Promise<{ status: number; headers: string; body: string }>((resolve) => {
    const check = () => {
      const end = raw.indexOf("\r\n\r\n");
      if (end === -1) return;
      const headers = raw.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? "0");
      const body = raw.slice(end + 4);
      if (Buffer.byteLength(body) < length) return;
      socket.off("data", check);
      resolve({ status: Number(headers.split(" ")[1]), headers, body });
    };
    socket.on("data", check);
  });
  return { socket, connected, closed, response };
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

describe("startServer", () => {
  it("builds the index, listens on a free port and answers", async () => {
    const running = await startServer(config(), silent);
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(portOf(running)).toBeGreaterThan(0);
      expect(running.server.requestTimeout).toBe(15_000 + 5_000);
      const health = (await (await fetch(`${running.url}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({
        status: "ok",
        version: "0.1.0",
        index: { source: FIXTURES_35, snapshot_date: "2026-04-22", fiches: 12 },
      });
      const res = await fetch(`${running.url}/invoke`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: "Comment fonctionne le bonus-malus ?" }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { citations: Array<{ id: string; url: string }>; found: boolean };
      expect(body.found).toBe(true);
      expect(body.citations[0]).toMatchObject({ id: "F2655" });
      expect(body.citations[0]!.url).toMatch(/^https:\/\/www\.service-public\.(gouv\.)?fr\/particuliers\/vosdroits\/F2655$/);
    } finally {
      await running.close();
    }
  });

  it("close() finishes an in-flight request, refuses new connections, then resolves", async () => {
    const running = await startServer(config({ GUICHET_SHUTDOWN_TIMEOUT_MS: "5000" }), silent);
    const port = portOf(running);
    const client = rawClient(port);
    await client.connected;
    const body = JSON.stringify({ question: "Que faire en cas de vol d'un véhicule ?" });
    const received = new Promise((resolve) => running.server.once("request", resolve));
    // Headers and half of the body: the request is in flight.
    client.socket.write(
      `POST /invoke HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body.slice(0, 10),
    );
    await received;

    let closed = false;
    const closePromise = running.close();
    expect(running.close()).toBe(closePromise); // idempotent: one shutdown
    const closing = closePromise.then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(running.server.listening).toBe(false);
    expect(closed).toBe(false);
    expect(await refused(port)).toBe("ECONNREFUSED");

    client.socket.write(body.slice(10));
    const response = await client.response;
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as { found: boolean }).found).toBe(true);
    client.socket.end();
    const started = Date.now();
    await closing;
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("close() on an idle server resolves at once", async () => {
    const running = await startServer(config(), silent);
    await fetch(`${running.url}/health`); // leaves an idle keep-alive connection
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(running.server.listening).toBe(false);
  });

  // BUG, fails until fixed (server/main.ts:52-57): close() only closes the connections idle at the moment it is
  // called. A keep-alive connection whose in-flight request finishes after close() stays open
  // until Node's keepAliveTimeout (5 s) or the shutdown timeout, so shutdown is delayed by ~5 s
  // (responses are not sent with "Connection: close" either).
  it("close() resolves promptly once the in-flight request is answered, even if the client keeps the connection", async () => {
    const running = await startServer(config({ GUICHET_SHUTDOWN_TIMEOUT_MS: "3000" }), silent);
    const client = rawClient(portOf(running));
    try {
      await client.connected;
      const body = JSON.stringify({ question: "Une caravane doit-elle être assurée ?" });
      const received = new Promise((resolve) => running.server.once("request", resolve));
      client.socket.write(
        `POST /invoke HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
      );
      await received;
      const closing = running.close();
      client.socket.write(body.slice(5));
      expect((await client.response).status).toBe(200);
      const outcome = await Promise.race([
        closing.then(() => "closed"),
        new Promise((resolve) => setTimeout(() => resolve("still open"), 1000)),
      ]);
      expect(outcome).toBe("closed");
    } finally {
      client.socket.destroy();
      await running.close();
    }
  });

  describe("with trace export on", () => {
    let collector: Server;
    let endpoint: string;

    beforeAll(async () => {
      // A collector that refuses every export.
      collector = createServer((req, res) => {
        req.resume();
        req.on("end", () => res.writeHead(500).end());
      });
      await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
      endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      trace.disable();
      context.disable();
      propagation.disable();
      await new Promise((resolve) => collector.close(resolve));
    });

    // BUG, fails until fixed (server/main.ts:58 and 82): close() awaits telemetry.shutdown(), which rejects when the
    // final export fails (collector down or answering 4xx/5xx). close() then rejects, and in
    // main() `void running.close().then(() => process.exit(0))` turns it into an unhandled
    // rejection on SIGTERM instead of a clean exit.
    it("close() resolves even when the final trace export fails", async () => {
      const running = await startServer(config({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), silent);
      try {
        await fetch(`${running.url}/health`, { headers: { Connection: "close" } });
      } finally {
        await expect(running.close()).resolves.toBeUndefined();
      }
    });
  });
});

describe("main", () => {
  it("exits with code 2 and names the variable on a bad configuration", async () => {
    const previous = process.exitCode;
    const write = jest.mocked(process.stderr.write);
    write.mockClear();
    try {
      await expect(main({ PORT: "abc", LOG_LEVEL: "loud" })).resolves.toBeUndefined();
      expect(process.exitCode).toBe(2);
      const printed = write.mock.calls.map((c) => String(c[0])).join("");
      expect(printed).toContain("invalid configuration");
      expect(printed).toContain("PORT");
      expect(printed).toContain("LOG_LEVEL");
    } finally {
      process.exitCode = previous;
    }
  });

  it("closes the server and exits with 0 on SIGTERM", async () => {
    const before = process.listeners("SIGTERM");
    const beforeInt = process.listeners("SIGINT");
    const exit = jest.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const running = await main({
      GUICHET_INDEX_DIR: dir,
      GUICHET_SOURCE: "vdd-xml",
      GUICHET_SOURCE_PATH: FIXTURES_35,
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    try {
      const handler = process.listeners("SIGTERM").find((l) => !before.includes(l))!;
      expect(handler).toBeDefined();
      handler("SIGTERM");
      await new Promise<void>((resolve) => {
        const poll = () => (exit.mock.calls.length > 0 ? resolve() : setTimeout(poll, 10));
        poll();
      });
      expect(exit).toHaveBeenCalledWith(0);
      expect(running!.server.listening).toBe(false);
    } finally {
      exit.mockRestore();
      for (const listener of process.listeners("SIGTERM")) if (!before.includes(listener)) process.removeListener("SIGTERM", listener);
      for (const listener of process.listeners("SIGINT")) if (!beforeInt.includes(listener)) process.removeListener("SIGINT", listener);
      await running?.close();
    }
  });

  it("starts the server from the environment and installs SIGTERM/SIGINT handlers", async () => {
    const before = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
    const running = await main({
      GUICHET_INDEX_DIR: dir,
      GUICHET_SOURCE: "vdd-xml",
      GUICHET_SOURCE_PATH: FIXTURES_35,
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    try {
      expect(running).toBeDefined();
      expect((await fetch(`${running!.url}/health`, { headers: { Connection: "close" } })).status).toBe(200);
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        expect(process.listeners(signal).length).toBe(before[signal].length + 1);
      }
    } finally {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        for (const listener of process.listeners(signal)) {
          if (!before[signal].includes(listener)) process.removeListener(signal, listener);
        }
      }
      await running?.close();
    }
  });
});
