import type { Logger } from "pino";
import type { RedisClientType } from "redis";

/** How long start-up waits for Redis before serving without it (it keeps reconnecting in the background). */
const CONNECT_WAIT_MS = 1_500;

export type RedisConnection = RedisClientType;

/**
 * One Redis client for the process (rate limits, cache, locks), connected without blocking start-up for long:
 * an unreachable Redis means degraded features, not no server. Commands fail at once while disconnected
 * instead of queueing behind a dead connection, and the client reconnects on its own when Redis comes back.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisConnection> {
  // Loaded only when configured: a memory-only server does not load the client at all.
  const { createClient } = await import("redis");
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
  });
  let reported = false;
  client.on("error", (error: Error) => {
    if (reported) return;
    reported = true;
    logger.warn({ err: { message: error.message } }, "Redis connection error");
  });
  client.on("ready", () => {
    if (reported) logger.info("Redis reachable again");
    reported = false;
  });
  const connecting = client.connect().catch(() => undefined);
  await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, CONNECT_WAIT_MS).unref())]);
  return client as unknown as RedisConnection;
}
