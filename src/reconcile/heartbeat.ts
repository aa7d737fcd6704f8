/**
 * Heartbeats: while a remote step that can take minutes runs (`xl create`, a graceful
 * shutdown, `xl migrate`), a plain progress line every few seconds says what it waits for,
 * how long it has waited and its limit — `  host/x: domain web-1: waiting for shutdown… 30s of
 * 120s` — so a two-minute wait never looks like a hang, also where Terraform captures the
 * output without a terminal. The timer lives here, at the I/O edge; the clock is injectable so
 * that tests drive it without waiting.
 */

/** What a heartbeat needs from time: now, and a repeating timer. */
export interface HeartbeatClock {
  /** Milliseconds, monotonic enough for elapsed times. */
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** The real clock: Date.now and an unref'd setInterval (a heartbeat never keeps the process alive). */
export const systemClock: HeartbeatClock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** Settings of heartbeats. */
export interface HeartbeatOptions {
  /** Time between two lines, ms; a step shorter than that prints none. @default 10000 (as Terraform's "Still creating...") */
  readonly intervalMs?: number;
  /** @default systemClock */
  readonly clock?: HeartbeatClock;
}

/** Default time between heartbeat lines, ms. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** What is being waited for. */
export interface Wait {
  /** `host/x: domain web-1`: who waits. */
  readonly subject: string;
  /** `waiting for shutdown`: what for. */
  readonly what: string;
  /** The step's limit, seconds: it is stopped (or, for a graceful shutdown, forced) then. */
  readonly limitSec: number;
}

/** One heartbeat line. Pure. */
export function heartbeatLine(wait: Wait, elapsedMs: number): string {
  const s = Math.round(elapsedMs / 1000);
  const limit = s <= wait.limitSec ? `${s}s of ${wait.limitSec}s` : `${s}s (past the ${wait.limitSec}s limit)`;
  return `  ${wait.subject}: ${wait.what}… ${limit}`;
}

/** A running heartbeat; {@link Heartbeat.stop} is idempotent. */
export interface Heartbeat {
  stop(): void;
}

/** Starts printing {@link heartbeatLine}s through `log` every interval until stopped. */
export function startHeartbeat(log: (line: string) => void, wait: Wait, options: HeartbeatOptions = {}): Heartbeat {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  let cancel: (() => void) | null = clock.every(options.intervalMs ?? DEFAULT_HEARTBEAT_MS, () => log(heartbeatLine(wait, clock.now() - started)));
  return {
    stop() {
      cancel?.();
      cancel = null;
    },
  };
}

/** Runs `fn` with a heartbeat for its duration. */
export async function withHeartbeat<T>(log: (line: string) => void, wait: Wait, options: HeartbeatOptions, fn: () => Promise<T>): Promise<T> {
  const beat = startHeartbeat(log, wait, options);
  try {
    return await fn();
  } finally {
    beat.stop();
  }
}
