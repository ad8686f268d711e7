// The cloud's clock as a page sees it. The cloud may run a simulated clock (the demo runs one 30 times faster than
// real time) and a viewer's own clock may be wrong, so every countdown, "this week", "updated …" and link expiry is
// judged on the cloud's time: each stream `ping` carries the server's time in epoch ms (docs/api.md, "Live stream").
// The page keeps the last ping's server time, the local time it was heard at, and the rate the cloud's clock runs at
// against the local one (measured between two pings; 1 until then). The local clock is performance.timeOrigin +
// performance.now(): monotonic, so a change of the viewer's wall clock does not move it. Before the first ping
// (within 5 s) the cloud's time is unknown: cloudNow() is null and pages show "—" rather than a wrong figure.

// Pings closer than this (local ms) are too close to measure a rate from (network jitter dominates).
const MIN_RATE_SPAN_MS = 1_000;
// A rate outside this range is noise, not a clock (protocol/clock.py's ScaledClock runs 0 < speed <= 10 000).
const MAX_RATE = 10_000;

let fit = null;

/** Local time on the monotonic clock, in ms on the epoch-ms scale (performance.timeOrigin + performance.now()). */
export function localMs() {
  return performance.timeOrigin + performance.now();
}

/**
 * Fold a server time heard at local time `local` into the previous fit (or null).
 * Returns {server, local, rate}: server and local in ms, rate = server ms per local ms (1 until measured).
 */
export function refit(prev, server, local) {
  let rate = prev?.rate ?? 1;
  if (prev && local - prev.local >= MIN_RATE_SPAN_MS) {
    const measured = (server - prev.server) / (local - prev.local);
    if (measured > 0 && measured <= MAX_RATE) rate = measured;
  }
  return { server, local, rate };
}

/** The cloud's time (epoch ms) at local time `local` from a fit; null without one. */
export function cloudTime(f, local) {
  return f ? Math.round(f.server + (local - f.local) * f.rate) : null;
}

/** Note a server time (epoch ms, e.g. a ping's data, number or text); ignores anything that is not a finite number. */
export function noteServerTime(serverMs) {
  if (serverMs === null || serverMs === undefined || serverMs === "") return;
  const ms = Number(serverMs);
  if (!Number.isFinite(ms)) return;
  fit = refit(fit, ms, localMs());
}

/** The cloud's time now (epoch ms), or null before the first ping. */
export function cloudNow() {
  return cloudTime(fit, localMs());
}
