// The live feed of a page: the server-sent event stream (GET api/v1/stream, a `ping` every 5 s), or, where this
// cloud has no stream (404) or refuses it, polling. Either way the page learns at once when it is no longer
// hearing the server, so a frozen screen never looks calm. Durations use performance.now() (monotonic).

import { noteServerTime } from "./clock.js";
import { api, exposed, logout, t } from "./common.js";

export const STREAM_PATH = "api/v1/stream";
export const EVENT_TYPES = ["socket", "socket_stop", "availability", "alarm", "incident", "session", "reset"];
// Lost when nothing (not even a ping, sent every 5 s) was heard for two pings and a second, or when the connection
// has been failing for 2 s.
export const LOST_AFTER_MS = 11_000;
export const FAILING_FOR_MS = 2_000;
const POLL_MS = 1_000;
const RETRY_STREAM_MS = 15_000;

export class LiveFeed {
  /**
   * onEvent(type, data): a stream event (types above) or {type: "poll"} after each poll.
   * onState({mode: "stream"|"poll"|"connecting", lost: bool, silentMs}): whenever the state is re-checked (twice a second).
   * poll(): what to fetch when polling (the page's own refresh).
   */
  constructor({ onEvent, onState, poll }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.poll = poll;
    this.mode = "connecting";
    this.heardAt = performance.now();
    this.failingSince = null;
    this.es = null;
    this.pollTimer = null;
    this.lost = false;
    this.lastEventId = null;
    this.authRetry = false; // one reconnect tried after the server ended the stream for an expired credential
  }

  start() {
    this.openStream();
    this.check();
    setInterval(() => this.check(), 500);
  }

  heard() {
    this.heardAt = performance.now();
    this.failingSince = null;
  }

  failing() {
    if (this.failingSince === null) this.failingSince = performance.now();
  }

  openStream() {
    const es = new EventSource(STREAM_PATH);
    this.es = es;
    es.onopen = () => {
      this.authRetry = false;
      this.mode = "stream";
      this.stopPolling();
      this.heard();
    };
    es.onerror = () => {
      this.failing();
      if (es.readyState === EventSource.CLOSED && this.authRetry) {
        this.relogin(); // the reconnect after `auth` was refused: the cookie is gone
      } else if (es.readyState === EventSource.CLOSED) {
        // Not reconnecting by itself: the server answered with an error (404: no stream here; 401/403).
        this.es = null;
        this.startPolling();
        setTimeout(() => this.mode === "poll" && this.openStream(), RETRY_STREAM_MS);
      }
    };
    const handle = (type) => (ev) => {
      this.heard();
      this.lastEventId = ev.lastEventId || this.lastEventId;
      let data = ev.data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        /* ping carries a bare number; keep the text */
      }
      this.onEvent(type, data);
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, handle(type));
    // The server ended the stream for its credential (docs/api.md, "A stream stays authorised"). EventSource would
    // reconnect by itself with the same cookie in a loop: stop it. An expired cookie may have been renewed by the
    // page's other requests, so try once (the page re-reads its state on the new stream's first ping, as after any
    // reconnect); otherwise log in again.
    es.addEventListener("auth", (ev) => {
      es.close();
      this.es = null;
      this.failing();
      let reason = null;
      try {
        reason = JSON.parse(ev.data).reason;
      } catch {
        /* unreadable: treat as not retryable */
      }
      if (reason === "expired" && !this.authRetry) {
        this.authRetry = true;
        this.openStream();
      } else {
        this.relogin();
      }
    });
    es.addEventListener("ping", (ev) => {
      this.heard();
      noteServerTime(ev.data); // the cloud's clock (clock.js)
      this.onEvent("ping", null);
    });
  }

  relogin() {
    // Expire the cookie (a changed account's cookie would still be accepted) and reload: the page shows its login.
    this.es?.close();
    this.es = null;
    logout()
      .catch(() => {})
      .finally(() => location.reload());
  }

  startPolling() {
    if (this.pollTimer !== null) return;
    this.mode = "poll";
    const tick = async () => {
      try {
        await this.poll();
        this.heard();
        this.onEvent("poll", null);
      } catch (e) {
        console.warn("live: poll failed", e); // in the browser's console for whoever looks into a NOT LIVE screen
        this.failing();
      }
    };
    tick();
    this.pollTimer = setInterval(tick, POLL_MS);
  }

  stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  check() {
    const now = performance.now();
    const silentMs = now - this.heardAt;
    const lost = silentMs > LOST_AFTER_MS || (this.failingSince !== null && now - this.failingSince > FAILING_FOR_MS);
    this.lost = lost;
    this.onState({ mode: this.mode, lost, silentMs });
  }
}

/** Show the feed's state in the page's #stream-state pill and #stream-lost banner (window.shedwatch.live too). */
export function showLiveState({ mode, lost }) {
  document.getElementById("stream-lost").classList.toggle("hidden", !lost);
  const pill = document.getElementById("stream-state");
  pill.textContent = lost ? t("live.lost_short") : t(`live.${mode}`);
  pill.style.background = lost ? "var(--alarm)" : "";
  exposed.live = { mode, lost };
}

/**
 * Follow the live feed: refresh() 100 ms after the first event of a burst (a shed cut sends one per socket), again
 * 1 s after an alarm or incident event (the alarm service records its alarm just after the edge's event is stored),
 * at each ping (every 5 s, a safety net), and on every poll tick without a stream. The feed's state is shown
 * (showLiveState) and passed to onState.
 */
export function followLive(refresh, onState = () => {}) {
  const timers = new Map();
  const after = (ms) => {
    if (timers.has(ms)) return;
    timers.set(
      ms,
      setTimeout(() => {
        timers.delete(ms);
        refresh().catch(() => {});
      }, ms),
    );
  };
  const feed = new LiveFeed({
    onEvent: (type) => {
      if (type === "poll") return;
      after(100);
      if (type === "alarm" || type === "incident") after(1000);
    },
    onState: (s) => {
      showLiveState(s);
      onState(s);
    },
    poll: refresh,
  });
  feed.start();
  return feed;
}

/** A poll of the public availability, for pages whose only live figures are the counts. */
export function pollAvailability() {
  return api("api/v1/availability");
}
