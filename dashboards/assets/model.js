// Pure decisions of the pages (no DOM, no fetch): what a socket cell shows, what the alarm banner announces,
// and this week's kept-promise figures. Tested in the browser (tests/browser/test_model.py).

export const SOCKET_STATES = ["free", "charging", "plugged", "full", "faulted", "tripped", "offline"];
// Fire and pre-fire flash and sound until acknowledged (docs/alarms.md: the classes that page at once).
export const SOUNDING_CLASSES = new Set(["fire", "pre_fire"]);
export const CLASS_ORDER = ["fire", "pre_fire", "supervisory", "trouble", "operational", "service"];
const UNACKED = new Set(["unack", "rtn_unack"]);

/** Escape text for innerHTML templates. */
export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** The key of an alarm as the cloud writes it: SHED/DEVICE/SOCKET/TYPE. */
export function alarmKey(a) {
  if (typeof a.key === "string") return a.key;
  const k = a.key ?? a;
  return `${k.shed}/${k.device ?? "-"}/${k.socket ?? 0}/${k.alarm_type ?? k.type ?? "?"}`;
}

/** Shed, device and socket of an alarm, whichever way the API spelled them. */
export function alarmWhere(a) {
  if (a.key && typeof a.key === "object") return a.key;
  if (typeof a.key === "string") {
    const [shed, device, socket, alarm_type] = a.key.split("/");
    return { shed, device, socket: Number(socket), alarm_type };
  }
  return { shed: a.shed, device: a.device, socket: a.socket ?? 0, alarm_type: a.alarm_type ?? a.type };
}

/**
 * What one socket cell shows: a state from SOCKET_STATES.
 * `tripped` is a faulted socket the edge cut because of an open alarm on that very socket (or a flag saying so);
 * `offline` when the shed's edge is not online (the status is then only the last one reported).
 */
export function socketState(sock, openAlarms, edgeOnline = true) {
  if (!edgeOnline) return "offline";
  const status = sock.status ?? sock.state ?? "unknown";
  if (status === "faulted" || status === "fault") {
    if (sock.tripped) return "tripped";
    const mine = openAlarms.some((a) => {
      const w = alarmWhere(a);
      return w.shed === sock.shed && w.device === sock.device && Number(w.socket) === Number(sock.socket);
    });
    return mine ? "tripped" : "faulted";
  }
  return SOCKET_STATES.includes(status) ? status : "offline";
}

/** Most urgent first, then oldest first. */
export function byUrgency(a, b) {
  const d = CLASS_ORDER.indexOf(a.alarm_class) - CLASS_ORDER.indexOf(b.alarm_class);
  return d !== 0 ? d : (a.raised_ms ?? 0) - (b.raised_ms ?? 0);
}

/**
 * The banner and the siren for a set of open alarms.
 * Returns {show, flash, sound, top, unacked}: flash while a fire / pre-fire alarm is unacknowledged; sound while
 * such an alarm is unacknowledged and not silenced (by the server's flag or on this screen: silencedHere, a Set of
 * keys). Silence stops the sound only; the flashing goes on until someone acknowledges (ISA-18.2).
 */
export function annunciation(alarms, silencedHere = new Set(), now = Date.now()) {
  const shown = alarms.filter((a) => !(a.shelved_until_ms && now < a.shelved_until_ms) && !a.suppressed && !a.out_of_service);
  const unacked = shown.filter((a) => UNACKED.has(a.state)).sort(byUrgency);
  const urgent = unacked.filter((a) => SOUNDING_CLASSES.has(a.alarm_class));
  const sound = urgent.some((a) => !a.silenced && !silencedHere.has(alarmKey(a)));
  const top = [...shown].sort(byUrgency)[0] ?? null;
  return { show: shown.length > 0, flash: urgent.length > 0, sound, top, unacked: unacked.length };
}

/** Monday 00:00 of the week holding `now`, in the viewer's time zone (ISO weeks start on Monday). */
export function weekStart(now = Date.now()) {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d.getTime();
}

/**
 * This week's kept promises from incidents with their clocks: for each clock (ack, onsite) how many ended this week
 * and how many of those kept the promise. A clock has ended when its step happened or its deadline passed.
 * Incidents look like {opened_ms, acked_ms, onsite_ms, clocks: {ack_due_ms, onsite_due_ms}} (docs/alarms.md).
 */
export function keptFigures(incidents, now = Date.now(), since = weekStart(now)) {
  const out = { ack: { ended: 0, kept: 0 }, onsite: { ended: 0, kept: 0 } };
  for (const inc of incidents) {
    if ((inc.opened_ms ?? 0) < since) continue;
    const c = inc.clocks ?? {};
    for (const [name, doneMs, dueMs] of [
      ["ack", inc.acked_ms ?? inc.onsite_ms, c.ack_due_ms],
      ["onsite", inc.onsite_ms, c.onsite_due_ms],
    ]) {
      if (dueMs === undefined || dueMs === null) continue;
      if (doneMs !== null && doneMs !== undefined) {
        out[name].ended += 1;
        if (doneMs <= dueMs) out[name].kept += 1;
      } else if (now > dueMs) {
        out[name].ended += 1; // still running past its deadline: broken
      }
    }
  }
  return out;
}

/** Seconds left on a clock (negative once broken), or null when it has stopped. */
export function clockLeft(doneMs, dueMs, now = Date.now()) {
  if (doneMs !== null && doneMs !== undefined) return null;
  return dueMs === undefined || dueMs === null ? null : (dueMs - now) / 1000;
}

/** A camera link as a list item: the API gives URLs (an incident's cameras) or {id, name, url} (a shed's). */
export function cameraLink(c) {
  const url = typeof c === "string" ? c : c.url;
  const name = typeof c === "string" ? c : c.name || c.id || c.url;
  return `<li><a href="${esc(url)}" target="_blank" rel="noopener">${esc(name)}</a></li>`;
}
