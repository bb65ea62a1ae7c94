import { freePort } from "./helpers/instances.js";
import { jest } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { parseBudgetConfig, type BudgetConfig } from "../tools/finops/budget-config.js";
import { Budgets, type BudgetsOptions, type BudgetUnit } from "../tools/finops/budgets.js";
import { MemorySpendStore, type Spend, type SpendStore } from "../tools/finops/spend-store.js";
import { RedisSpendStore } from "../tools/finops/spend-store-redis.js";
import { createLogger } from "../tools/logger.js";
import { connectRedis, type RedisConnection } from "../tools/redis-connection.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const logger = createLogger("silent");
const prefix = `guichet-test:${randomUUID()}:`;
let redis: RedisConnection;

beforeAll(async () => {
  redis = await connectRedis(REDIS_URL, logger);
  if (!redis.isReady) throw new Error(`Redis is not reachable at ${REDIS_URL}: these tests need the machine's Redis`);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(keys);
  expect(await redis.keys(`${prefix}*`)).toEqual([]);
  redis.destroy();
});

/** The memory store, counting the calls that reach it. */
class CountingStore implements SpendStore {
  calls = 0;
  private readonly inner = new MemorySpendStore();
  get(day: string, scopes: readonly string[]): Promise<Spend[]> {
    this.calls += 1;
    return this.inner.get(day, scopes);
  }
  add(day: string, scopes: readonly string[], spend: Spend): Promise<Spend[]> {
    this.calls += 1;
    return this.inner.add(day, scopes, spend);
  }
}

function clock(iso: string) {
  let current = new Date(iso);
  return { now: () => current, set: (next: string) => (current = new Date(next)) };
}

function budgets(config: Partial<BudgetConfig>, options: Partial<BudgetsOptions> = {}) {
  const onShareCrossed = jest.fn<(scope: string, unit: BudgetUnit, share: number) => void>();
  const onExceeded = jest.fn<(scope: string, unit: BudgetUnit) => void>();
  const onStoreError = jest.fn<(error: Error) => void>();
  const full: BudgetConfig = { global: {}, perKey: {}, keys: {}, alertShare: 0.8, ...config };
  const b = new Budgets(full, { store: new MemorySpendStore(), onShareCrossed, onExceeded, onStoreError, ...options });
  return { b, onShareCrossed, onExceeded, onStoreError };
}

describe("parseBudgetConfig", () => {
  it("has no limit and an alert at 80 % by default", () => {
    expect(parseBudgetConfig({})).toEqual({ global: {}, perKey: {}, keys: {}, alertShare: 0.8 });
    expect(parseBudgetConfig({ GUICHET_BUDGET_GLOBAL_DAILY_COST: "", GUICHET_BUDGET_KEYS: "" })).toEqual({ global: {}, perKey: {}, keys: {}, alertShare: 0.8 });
  });

  it("reads every variable", () => {
    expect(
      parseBudgetConfig({
        GUICHET_BUDGET_GLOBAL_DAILY_COST: "25",
        GUICHET_BUDGET_GLOBAL_DAILY_TOKENS: "10000000",
        GUICHET_BUDGET_KEY_DAILY_COST: "2.5",
        GUICHET_BUDGET_KEY_DAILY_TOKENS: "500000",
        GUICHET_BUDGET_KEYS: '{"portail-caf":{"cost":10},"interne":{}}',
        GUICHET_BUDGET_ALERT_SHARE: "1",
      }),
    ).toEqual({
      global: { cost: 25, tokens: 10_000_000 },
      perKey: { cost: 2.5, tokens: 500_000 },
      keys: { "portail-caf": { cost: 10 }, interne: {} },
      alertShare: 1,
    });
  });

  it.each([
    [{ GUICHET_BUDGET_GLOBAL_DAILY_COST: "0" }, "GUICHET_BUDGET_GLOBAL_DAILY_COST: must be a positive number"],
    [{ GUICHET_BUDGET_GLOBAL_DAILY_COST: "ten" }, "GUICHET_BUDGET_GLOBAL_DAILY_COST: must be a positive number"],
    [{ GUICHET_BUDGET_KEY_DAILY_COST: "-1" }, "GUICHET_BUDGET_KEY_DAILY_COST: must be a positive number"],
    [{ GUICHET_BUDGET_GLOBAL_DAILY_TOKENS: "1.5" }, "GUICHET_BUDGET_GLOBAL_DAILY_TOKENS: must be a positive whole number of tokens"],
    [{ GUICHET_BUDGET_KEY_DAILY_TOKENS: "0" }, "GUICHET_BUDGET_KEY_DAILY_TOKENS: must be a positive whole number of tokens"],
    [{ GUICHET_BUDGET_ALERT_SHARE: "0" }, "GUICHET_BUDGET_ALERT_SHARE: must be a number in (0, 1]"],
    [{ GUICHET_BUDGET_ALERT_SHARE: "1.2" }, "GUICHET_BUDGET_ALERT_SHARE: must be a number in (0, 1]"],
    [{ GUICHET_BUDGET_KEYS: "{caf: 1}" }, "GUICHET_BUDGET_KEYS: must be JSON such as"],
    [{ GUICHET_BUDGET_KEYS: "[]" }, "GUICHET_BUDGET_KEYS: must be a JSON object"],
    [{ GUICHET_BUDGET_KEYS: '{"caf":{"cost":0}}' }, "GUICHET_BUDGET_KEYS.caf.cost: must be a positive number"],
    [{ GUICHET_BUDGET_KEYS: '{"caf":{"euros":3}}' }, 'GUICHET_BUDGET_KEYS.caf: Unrecognized key: "euros"'],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => parseBudgetConfig(env)).toThrow(message);
  });

  it("names every bad variable at once", () => {
    expect(() => parseBudgetConfig({ GUICHET_BUDGET_GLOBAL_DAILY_COST: "x", GUICHET_BUDGET_ALERT_SHARE: "2" })).toThrow(
      "GUICHET_BUDGET_GLOBAL_DAILY_COST: must be a positive number\n  GUICHET_BUDGET_ALERT_SHARE: must be a number in (0, 1]",
    );
  });
});

describe("budgets in memory", () => {
  it("never reaches the store when no budget applies", async () => {
    const store = new CountingStore();
    const none = budgets({}, { store }).b;
    expect(none.enabled).toBe(false);
    expect(await none.exceeded("caf")).toBe(false);
    await none.record("caf", 5, 5_000_000);
    expect(none.status()).toEqual([]);
    // Only "vip" has a budget: the others are not checked.
    const vipOnly = budgets({ keys: { vip: { cost: 1 } } }, { store }).b;
    expect(vipOnly.enabled).toBe(true);
    expect(await vipOnly.exceeded("caf")).toBe(false);
    await vipOnly.record("caf", 5, 5_000_000);
    expect(store.calls).toBe(0);
    await vipOnly.record("vip", 0.5, 10);
    expect(store.calls).toBe(1);
  });

  it("refuses a key past its own daily cost, and only that key", async () => {
    const { b } = budgets({ perKey: { cost: 0.01 } });
    await b.record("caf", 0.006, 100);
    expect(await b.exceeded("caf")).toBe(false);
    await b.record("caf", 0.004, 100);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "cost" });
    expect(await b.exceeded("mairie")).toBe(false);
  });

  it("refuses everybody past the global budget; the key's own budget is named first", async () => {
    const { b } = budgets({ global: { cost: 0.02 }, perKey: { cost: 0.015 } });
    await b.record("caf", 0.011, 0);
    expect(await b.exceeded("mairie")).toBe(false);
    await b.record("mairie", 0.009, 0);
    expect(await b.exceeded("tiers")).toEqual({ scope: "global", unit: "cost" });
    await b.record("caf", 0.004, 0);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "cost" });
  });

  it("counts tokens as a unit of their own", async () => {
    const { b } = budgets({ perKey: { cost: 100, tokens: 1000 }, global: { tokens: 5000 } });
    await b.record("caf", 0.001, 999);
    expect(await b.exceeded("caf")).toBe(false);
    await b.record("caf", 0, 1);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "tokens" });
    expect(b.status()).toEqual([
      { scope: "key:caf", unit: "cost", spent: 0.001, limit: 100 },
      { scope: "key:caf", unit: "tokens", spent: 1000, limit: 1000 },
      { scope: "global", unit: "tokens", spent: 1000, limit: 5000 },
    ]);
  });

  it("gives listed keys their own limits instead of the default", async () => {
    const { b } = budgets({ perKey: { cost: 0.01 }, keys: { vip: { cost: 1 }, interne: {} } });
    await b.record("vip", 0.5, 0);
    await b.record("interne", 50, 0);
    await b.record("caf", 0.5, 0);
    expect(await b.exceeded("vip")).toBe(false);
    expect(await b.exceeded("interne")).toBe(false);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "cost" });
    // A key named like an Object property is a key like any other.
    expect(await b.exceeded("constructor")).toBe(false);
  });

  it("fires the alert share and the exceeded callbacks once per scope, unit and day", async () => {
    const time = clock("2024-05-10T08:00:00.000Z");
    const { b, onShareCrossed, onExceeded } = budgets({ perKey: { cost: 1 }, alertShare: 0.5 }, { now: time.now });
    expect(b.alertShare).toBe(0.5);
    await b.record("caf", 0.3, 0);
    expect(onShareCrossed).not.toHaveBeenCalled();
    await b.record("caf", 0.3, 0);
    expect(onShareCrossed.mock.calls).toEqual([["key:caf", "cost", 0.6]]);
    await b.record("caf", 0.3, 0);
    expect(onShareCrossed).toHaveBeenCalledTimes(1);
    expect(onExceeded).not.toHaveBeenCalled();
    await b.record("caf", 0.2, 0);
    await b.record("caf", 0.2, 0);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "cost" });
    expect(onExceeded.mock.calls).toEqual([["key:caf", "cost"]]);
    expect(onShareCrossed).toHaveBeenCalledTimes(1);

    // A new UTC day: counters, gauges and callbacks start again.
    time.set("2024-05-11T00:00:00.000Z");
    expect(b.status()).toEqual([]);
    expect(await b.exceeded("caf")).toBe(false);
    expect(b.status()).toEqual([{ scope: "key:caf", unit: "cost", spent: 0, limit: 1 }]);
    await b.record("caf", 1, 0);
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "cost" });
    expect(onShareCrossed).toHaveBeenCalledTimes(2);
    expect(onExceeded).toHaveBeenCalledTimes(2);
  });

  it("lists the global budget in the gauges before anything is spent", () => {
    const { b } = budgets({ global: { cost: 20, tokens: 1_000_000 } });
    expect(b.status()).toEqual([
      { scope: "global", unit: "cost", spent: 0, limit: 20 },
      { scope: "global", unit: "tokens", spent: 0, limit: 1_000_000 },
    ]);
  });

  it("keeps working when a callback throws", async () => {
    const { b } = budgets({ perKey: { tokens: 10 } }, { onExceeded: () => { throw new Error("alerting down"); } });
    await expect(b.record("caf", 0, 10)).resolves.toBeUndefined();
    expect(await b.exceeded("caf")).toEqual({ scope: "key:caf", unit: "tokens" });
  });
});

describe("budgets on Redis", () => {
  const day = "2024-05-10";

  it("keeps a hash per day and scope, under the prefix, expiring after 3 days", async () => {
    const store = new RedisSpendStore(redis, { prefix });
    expect(await store.add(day, ["key:caf", "global"], { cost: 0.25, tokens: 120 })).toEqual([
      { cost: 0.25, tokens: 120 },
      { cost: 0.25, tokens: 120 },
    ]);
    expect(await store.add(day, ["global"], { cost: 0.5, tokens: 30 })).toEqual([{ cost: 0.75, tokens: 150 }]);
    expect(await store.get(day, ["key:caf", "global", "key:absent"])).toEqual([
      { cost: 0.25, tokens: 120 },
      { cost: 0.75, tokens: 150 },
      { cost: 0, tokens: 0 },
    ]);
    expect(await redis.hGetAll(`${prefix}budget:${day}:key:caf`)).toEqual({ cost: "0.25", tokens: "120" });
    const ttl = await redis.ttl(`${prefix}budget:${day}:global`);
    expect(ttl).toBeGreaterThan(3 * 86_400 - 10);
    expect(ttl).toBeLessThanOrEqual(3 * 86_400);
  });

  it("shares spending between instances", async () => {
    const time = clock("2024-05-11T09:00:00.000Z");
    const config = { global: { cost: 1 }, alertShare: 0.8 };
    const a = budgets(config, { store: new RedisSpendStore(redis, { prefix }), now: time.now });
    const b = budgets(config, { store: new RedisSpendStore(redis, { prefix }), now: time.now });
    await a.b.record("caf", 0.6, 1000);
    expect(await b.b.exceeded("mairie")).toBe(false);
    await b.b.record("mairie", 0.3, 1000);
    expect(b.onShareCrossed.mock.calls).toEqual([["global", "cost", 0.9]]);
    await a.b.record("caf", 0.1, 1000);
    expect(await b.b.exceeded("tiers")).toEqual({ scope: "global", unit: "cost" });
    expect(b.onExceeded.mock.calls).toEqual([["global", "cost"]]);
    expect(a.b.status()).toEqual([{ scope: "global", unit: "cost", spent: 1, limit: 1 }]);
    expect(a.onStoreError).not.toHaveBeenCalled();
  });

  it("fails open and reports once when Redis refuses the command", async () => {
    // A key of the wrong type: Redis itself answers with an error.
    await redis.set(`${prefix}budget:2024-05-12:global`, "not a hash");
    const time = clock("2024-05-12T09:00:00.000Z");
    const { b, onStoreError } = budgets({ global: { cost: 0.01 } }, { store: new RedisSpendStore(redis, { prefix }), now: time.now });
    await b.record("caf", 5, 0);
    expect(await b.exceeded("caf")).toBe(false);
    expect(onStoreError).toHaveBeenCalledTimes(1);
    expect(onStoreError.mock.calls[0]![0].message).toMatch(/WRONGTYPE/);
  });

  it("fails open at once with a client that was closed", async () => {
    const closed = await connectRedis(REDIS_URL, logger);
    await closed.close();
    const { b, onStoreError } = budgets({ perKey: { cost: 0.01 } }, { store: new RedisSpendStore(closed, { prefix }) });
    const started = Date.now();
    await b.record("caf", 1, 0);
    expect(await b.exceeded("caf")).toBe(false);
    expect(Date.now() - started).toBeLessThan(200);
    expect(onStoreError).toHaveBeenCalledTimes(1);
  });

  it("fails open with a client whose Redis is unreachable", async () => {
    const port = await freePort();
    const dead = await connectRedis(`redis://127.0.0.1:${port}`, logger);
    try {
      const store = new RedisSpendStore(dead, { prefix });
      const { b, onStoreError } = budgets({ global: { cost: 0.01 } }, { store });
      expect(await b.exceeded("caf")).toBe(false);
      await b.record("caf", 1, 0);
      expect(onStoreError).toHaveBeenCalledTimes(1);
      expect(onStoreError.mock.calls[0]![0].message).toBe("Redis client not connected");
    } finally {
      dead.destroy();
    }
  });
});
