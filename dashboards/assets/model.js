// Pure decisions of the pages (no DOM, no fetch): what a socket cell shows, what the alarm banner announces,
// and this week's kept-promise figures. Tested in the browser (tests/browser/test_model.py).

export const SOCKET_STATES = ["free", "charging", "plugged", "full", "faulted", "tripped", "stopped", "offline"];
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

// Alarm types whose trip cuts power and latches (docs/protocol.md, "alarm_raised .alarm_type": "socket cut,
// latched" / "shed cut, latched"). Other alarms (bike left, not charging, a post offline) never make a socket tripped.
export const SOCKET_TRIP_TYPES = new Set([
  "over_power",
  "over_current",
  "socket_overtemp",
  "thermal_runaway",
  "stale_telemetry",
  "sensor_fault",
  "sensor_suspect",
]);
export const SHED_TRIP_TYPES = new Set(["off_gas", "smoke", "heat", "heat_rate", "extinguisher_discharged"]);

/** Whether an open alarm is a safety trip that cut this socket: a socket trip on it, or a shed trip of its shed. */
export function tripsSocket(alarm, sock) {
  const w = alarmWhere(alarm);
  if (w.shed !== sock.shed) return false;
  if (SHED_TRIP_TYPES.has(w.alarm_type)) return true;
  if (!SOCKET_TRIP_TYPES.has(w.alarm_type) || Number(w.socket) !== Number(sock.socket)) return false;
  // A socket's alarm names its post; one without a device ("-" or "") still names the socket.
  return !w.device || w.device === "-" || w.device === sock.device;
}

/**
 * What one socket cell shows: a state from SOCKET_STATES.
 * `tripped` is a faulted socket the edge cut for a safety trip: `sock.tripped` says so, or an open alarm of a
 * latching trip type (above) covers it; a faulted socket without one (a post fault, the post offline) is `faulted`.
 * `stopped` is a socket an operator's stop holds off (`sock.stopped`), whatever its status, as the availability
 * counts it (docs/api.md "Stopped sockets"); only a safety trip outranks it, since a trip needs someone on site.
 * `offline` when the shed's edge is not online (the status is then only the last one reported).
 */
export function socketState(sock, openAlarms, edgeOnline = true) {
  if (!edgeOnline) return "offline";
  const status = sock.status ?? sock.state ?? "unknown";
  const faulted = status === "faulted" || status === "fault";
  if (faulted && (sock.tripped || openAlarms.some((a) => tripsSocket(a, sock)))) return "tripped";
  if (sock.stopped) return "stopped";
  if (faulted) return "faulted";
  return SOCKET_STATES.includes(status) ? status : "offline";
}

/**
 * Who stopped a stopped socket and when, for its cell and detail: {by, ts} (`by` null when only the edge's birth
 * told the stop, docs/api.md), or null when the socket is not stopped.
 */
export function stopNote(sock) {
  if (!sock.stopped) return null;
  return { by: sock.stopped_by ?? null, ts: sock.stopped_ts ?? null };
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
export function annunciation(alarms, silencedHere = new Set(), now = null) {
  // `now` is the cloud's time (clock.js); unknown (null), a shelved alarm is shown: better seen than missed.
  const shown = alarms.filter((a) => !(a.shelved_until_ms && now !== null && now < a.shelved_until_ms) && !a.suppressed && !a.out_of_service);
  const unacked = shown.filter((a) => UNACKED.has(a.state)).sort(byUrgency);
  const urgent = unacked.filter((a) => SOUNDING_CLASSES.has(a.alarm_class));
  const sound = urgent.some((a) => !a.silenced && !silencedHere.has(alarmKey(a)));
  const top = [...shown].sort(byUrgency)[0] ?? null;
  return { show: shown.length > 0, flash: urgent.length > 0, sound, top, unacked: unacked.length };
}

/** Monday 00:00 of the week holding `now` (the cloud's time, epoch ms), in the viewer's time zone (ISO weeks). */
export function weekStart(now) {
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
export function keptFigures(incidents, now, since = weekStart(now)) {
  const out = { ack: { ended: 0, kept: 0 }, onsite: { ended: 0, kept: 0 } };
  for (const inc of incidents) {
    if ((inc.opened_ms ?? 0) < since) continue;
    const c = inc.clocks ?? {};
    for (const [name, doneMs, dueMs] of [
      ["ack", inc.acked_ms ?? inc.onsite_ms, c.ack_due_ms],
      ["onsite", inc.onsite_ms, c.onsite_due_ms],
    ]) {
      if (dueMs === undefined || dueMs === null) continue;
      // Resolved before its deadline without the action (a false alarm cleared in seconds): ended, neither kept
      // nor broken; the cloud's report counts it apart too (resolved_first).
      if (c[`${name}_state`] === "resolved") continue;
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

/** When an incident's accept clock stopped: its acceptance, or arrival on site (which accepts it too); else null. */
export function ackDoneMs(inc) {
  return inc.acked_ms ?? inc.onsite_ms ?? null;
}

/**
 * Seconds left on a clock (negative once broken), null when it has stopped (or has no deadline), NaN (shown as "—")
 * while the cloud's time `now` is not known yet (null).
 */
export function clockLeft(doneMs, dueMs, now) {
  if (doneMs !== null && doneMs !== undefined) return null;
  if (dueMs === undefined || dueMs === null) return null;
  return now === null || now === undefined ? NaN : (dueMs - now) / 1000;
}

/**
 * What a resident sees for a shed (GET api/v1/availability, docs/api.md "Free-socket ETA"), at the cloud's time
 * `now` (epoch ms, or null when not known yet). Returns {kind, seconds}: kind `free` (a socket is free),
 * `out_of_service` (every socket faulted or stopped: none frees by itself), `eta` (seconds until one frees, counted from now,
 * never below 0), or `unknown` (no estimate yet, or the cloud's time not known yet); seconds only with `eta`.
 */
export function shedOutlook(s, now) {
  if (s.free > 0) return { kind: "free", seconds: null };
  // a stopped socket (an operator's stop) never frees by itself either: counted apart from faulted (docs/api.md)
  if (s.total > 0 && s.faulted + (s.stopped || 0) >= s.total) return { kind: "out_of_service", seconds: null };
  if (typeof s.next_free_s !== "number") return { kind: "unknown", seconds: null };
  if (s.next_free_s === 0 || s.eta_ts === null || s.eta_ts === undefined) return { kind: "eta", seconds: s.next_free_s };
  if (now === null || now === undefined) return { kind: "unknown", seconds: null };
  return { kind: "eta", seconds: Math.max(0, (s.eta_ts + s.next_free_s * 1000 - now) / 1000) };
}

/** A camera link as a list item: the API gives URLs (an incident's cameras) or {id, name, url} (a shed's). */
export function cameraLink(c) {
  const url = typeof c === "string" ? c : c.url;
  const name = typeof c === "string" ? c : c.name || c.id || c.url;
  return `<li><a href="${esc(url)}" target="_blank" rel="noopener">${esc(name)}</a></li>`;
}

/**
 * The i18n key of a timeline kind and the upgrade phase it belongs to: `step_up2_open` is key `kind.step_open` in
 * phase 2 (a paging step after the second class upgrade, docs/alarms.md), anything else its own `kind.KIND`.
 */
export function timelineKind(kind) {
  const m = /^step_up(\d+)_(.+)$/.exec(kind ?? "");
  return m ? { key: `kind.step_${m[2]}`, phase: Number(m[1]) } : { key: `kind.${kind}`, phase: 0 };
}

/**
 * What the edge did, as words in the page's language: `tr(key, fallback)` translates (the fallback when the key is
 * unknown). An interlock reason is one of the edge's own reasons (`reason.X`) or the alarm type that tripped (`type.X`).
 */
export function edgeWords(e, tr) {
  const where = [e.device, e.socket ? `#${e.socket}` : null].filter(Boolean).join(" ");
  const reason = tr(`reason.${e.reason}`, null) ?? tr(`type.${e.reason}`, e.reason);
  const parts = [tr(`act.${e.action}`, e.action), tr(`scope.${e.scope}`, e.scope), where].filter(Boolean).join(" ");
  return `${parts} (${reason})${e.latched ? ` · ${tr("edge.latched", "latched")}` : ""}`;
}

// The unit of an alarm's value and threshold by type (the edge's and the cloud rules' fields, docs/alarms.md). A
// type not listed has no reading shown: a bare number without its unit would say nothing.
const ALARM_UNITS = {
  over_power: "W",
  over_current: "A",
  socket_overtemp: "°C",
  thermal_runaway: "°C/s",
  off_gas: "ppm",
  smoke: "%/m",
  heat: "°C",
  heat_rate: "°C/min",
  extinguisher_low_pressure: "MPa",
  extinguisher_over_pressure: "MPa",
  post_over_limit: "W",
  post_over_limit_long: "W",
  not_charging: "W",
  meter_reset: "Wh",
};

function quantity(v, unit) {
  return `${Number(Number(v).toFixed(2))}${unit ? ` ${unit}` : ""}`;
}

/**
 * An alarm's reading from its structured fields, in the page's language: "50.06 ppm（限值 50 ppm）" /
 * "50.06 ppm (limit 50 ppm)" (`alarm.reading_limit`), just the value without a threshold; "" for a type with no
 * known unit or no value.
 */
export function alarmReading(a, tr) {
  const type = a.type ?? a.alarm_type ?? alarmWhere(a).alarm_type;
  const unit = ALARM_UNITS[type];
  if (unit === undefined || a.value === null || a.value === undefined || !Number.isFinite(Number(a.value))) return "";
  const value = quantity(a.value, unit);
  if (a.threshold === null || a.threshold === undefined || !Number.isFinite(Number(a.threshold))) return value;
  return tr("alarm.reading_limit", "{value} (limit {limit})").replaceAll("{value}", value).replaceAll("{limit}", quantity(a.threshold, unit));
}

/**
 * An alarm in words, all in the page's language: its type's label, then its reading (alarmReading). The edge's
 * free-text message is English (docs/protocol.md `alarm_raised`): it is shown only for a type the page has no
 * label for (then nothing better is known), else only as the line's tooltip (alarmTitle).
 */
export function alarmWords(a, tr) {
  const type = a.type ?? a.alarm_type ?? alarmWhere(a).alarm_type;
  const name = tr(`type.${type}`, null);
  if (name === null) return [type ?? "", (a.message ?? "").trim()].filter(Boolean).join(": ");
  return [name, alarmReading(a, tr)].filter(Boolean).join(" · ");
}

/** The edge's own message (English), for a tooltip; "" when it has none. */
export function alarmTitle(a) {
  return (a.message ?? "").trim();
}

// Which roles a page's staff panels are for (docs/pages.md): the control room for staff (its alarm list needs
// alarm.read), "my alerts" on the phone view for those who answer incidents (incident.read). A resident is never
// shown a staff panel with zeros: the page says it is not for that role and links to the residents' page.
const PAGE_ROLES = {
  control: new Set(["admin", "operator", "security", "installer"]),
  phone: new Set(["admin", "operator", "security"]),
  // the residents' page: availability for anyone; the account part (session, wallet, opt-ins) for a resident
  "resident-account": new Set(["resident"]),
};

/** True when `role` may see the staff panels of `page`; "no-auth" (a cloud without logins) sees everything. */
export function pageAllows(page, me) {
  if (me === "no-auth") return true;
  const roles = PAGE_ROLES[page];
  return !roles || (me !== null && roles.has(me?.role));
}

const KEYED = /^(?:([a-z_]+) )?([^\s/]+)\/([^\s/]+)\/(\d+)\/([a-z][a-z0-9_]*)(?::.*)?$/s;
const STEP_DETAIL = /^((?:up\d+_)?[a-z_0-9]+) \((\d+)\)$/;

/**
 * A timeline line's detail in the page's language where the cloud wrote a machine form: the edge's act (`edge`),
 * an alarm's key (`[class] SHED/DEVICE/SOCKET/TYPE: message`: the class and type labels, where), an alert's step
 * (`STEP (N)`). The cloud's English sentences behind a machine form are left out (the kind's label says it);
 * people's own words (comments, resolution notes) and names are kept as written.
 */
export function timelineDetail(e, tr) {
  if (e.edge) return edgeWords(e.edge, tr);
  const d = e.detail ?? "";
  const keyed = KEYED.exec(d);
  if (keyed) {
    const [, cls, , device, socket, type] = keyed;
    const where = [device !== "-" ? device : null, Number(socket) ? `#${socket}` : null].filter(Boolean).join(" ");
    return [cls ? tr(`class.${cls}`, cls) : null, tr(`type.${type}`, type), where].filter(Boolean).join(" · ");
  }
  const step = STEP_DETAIL.exec(d);
  if (step && e.kind?.startsWith("alert_")) return `${tr(timelineKind(`step_${step[1]}`).key, step[1])} (${step[2]})`;
  if (e.kind === "nobody_on_duty" || e.kind === "no_channel") return "";
  if (e.kind === "resolved") {
    const [cls, ...note] = d.split(": ");
    return [tr(`resolution.${cls}`, cls), note.join(": ")].filter(Boolean).join(": ");
  }
  return d;
}

/**
 * The incident a wall screen shows when nobody picked one: the most urgent open one (ISA-18.2 class order), the
 * newest of those; a service reminder opened after a fire must not take the fire off the screen.
 */
export function mostUrgentIncident(incidents) {
  let best = null;
  for (const inc of incidents ?? []) {
    const rank = CLASS_ORDER.indexOf(inc.alarm_class);
    const bestRank = best === null ? Infinity : CLASS_ORDER.indexOf(best.alarm_class);
    if (rank < bestRank || (rank === bestRank && inc.opened_ms > best.opened_ms)) best = inc;
  }
  return best?.id ?? null;
}

// The cloud's reasons for refusing a link (docs/api.md "Signed links in JSON"), as i18n keys of the page.
const LINK_ERRORS = { "bad signature": "forged", "link expired": "expired", "malformed token": "malformed", "no such incident": "gone" };

/** Why a link cannot be opened, in the page's language; the cloud's own sentence for a reason the page does not know. */
export function linkError(detail, tr) {
  const code = LINK_ERRORS[detail];
  return code ? tr(`phone.link_error_${code}`, detail) : detail;
}

/**
 * Why the link's action would be refused now, in the page's language, from the incident it shows (the cloud's
 * `link.refused` sentence only for a reason the page cannot tell from the incident); null when it is allowed.
 */
export function linkRefusal(view, tr) {
  if (view.link.refused === null || view.link.refused === undefined) return null;
  const inc = view.incident;
  if (!inc.open) return tr("phone.refused_resolved", view.link.refused);
  if (view.link.action === "ack" && inc.acked_by) return tr("phone.refused_acked", view.link.refused).replace("{who}", inc.acked_by_name ?? inc.acked_by);
  if (view.link.action === "onsite" && inc.onsite_by) return tr("phone.refused_onsite", view.link.refused).replace("{who}", inc.onsite_by_name ?? inc.onsite_by);
  return view.link.refused;
}

/** Who accepted (``acked_by``) or arrived (``onsite_by``) as people know them: the cloud's ``*_name``, else the id. */
export function shownAs(inc, field) {
  return inc[`${field}_name`] ?? inc[field] ?? null;
}

/** Who a link's action was recorded for, as people know them (the incident's name of who acted), else the link's id. */
export function personShown(view, fallback) {
  const inc = view?.incident;
  if (!inc) return fallback;
  const name = view.link.action === "onsite" ? inc.onsite_by_name : inc.acked_by_name;
  return name ?? fallback;
}
