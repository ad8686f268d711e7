// Every API route the pages read or act through, in one place (docs/pages.md lists them). A route this cloud does
// not serve (404), or refuses to this caller (401 not logged in, 403 not allowed), yields null, and the page shows
// what it can without it.

import { api, ApiError } from "./common.js";

async function optional(path) {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && [401, 403, 404, 405].includes(e.status)) return null;
    throw e;
  }
}

function list(body, ...names) {
  if (body === null) return null;
  if (Array.isArray(body)) return body;
  for (const n of names) if (Array.isArray(body[n])) return body[n];
  return [];
}

/** Public counts per shed: GET api/v1/availability. */
export async function availability() {
  return (await api("api/v1/availability")).sheds;
}

/**
 * One shed's sockets with live state: GET api/v1/sheds/{shed}. Flattened to
 * [{shed, device, socket, status, power_w, temp_c, tripped, stopped, stopped_by, stopped_ts}], or null when not served to this user.
 */
export async function shedSockets(shed) {
  const body = await optional(`api/v1/sheds/${encodeURIComponent(shed)}`);
  if (body === null) return null;
  const out = [];
  const add = (device, s) =>
    out.push({
      shed,
      device: s.device ?? device,
      socket: s.socket ?? s.number ?? s.id,
      status: s.status ?? s.state,
      power_w: s.power_w ?? s.power ?? null,
      temp_c: s.temp_c ?? s.temperature_c ?? s.temperature ?? null,
      tripped: Boolean(s.tripped),
      // an operator's stop (docs/api.md "Stopped sockets"): who and when, null when not stopped or not known
      stopped: Boolean(s.stopped),
      stopped_by: s.stopped_by ?? null,
      stopped_ts: s.stopped_ts ?? null,
    });
  for (const post of body.posts ?? []) for (const s of post.sockets ?? []) add(post.post ?? post.id ?? post.device, s);
  if (Array.isArray(body.sockets)) for (const s of body.sockets) add(s.device, s);
  return out;
}

/** Open alarms (staff): GET api/v1/alarms?state=open. */
export async function openAlarms() {
  return list(await optional("api/v1/alarms?state=open"), "alarms", "items");
}

/** Open incidents (staff): GET api/v1/incidents?open=true. */
export async function openIncidents() {
  return list(await optional("api/v1/incidents?open=true"), "incidents", "items");
}

/** Incidents opened since `sinceMs` (for the week's figures): GET api/v1/incidents?since=. */
export async function incidentsSince(sinceMs) {
  return list(await optional(`api/v1/incidents?since=${sinceMs}`), "incidents", "items");
}

/** One incident with its clocks, timeline, alarm_list and cameras: GET api/v1/incidents/{id}. */
export async function incident(id) {
  return optional(`api/v1/incidents/${encodeURIComponent(id)}`);
}

/** The shed's camera links: GET api/v1/sheds/{shed}/cameras. */
export async function cameras(shed) {
  return list(await optional(`api/v1/sheds/${encodeURIComponent(shed)}/cameras`), "cameras");
}

/** One series for a chart: GET api/v1/history (mean per point). */
export async function history(shed, device, field, socket, startMs, endMs) {
  const q = new URLSearchParams({ shed, device, field, start: startMs, end: endMs, max_points: 300 });
  if (socket) q.set("socket", socket);
  return optional(`api/v1/history?${q}`);
}

/** Incident actions (staff): POST api/v1/incidents/{id}/{acknowledge|on-site|resolve}; resolve takes
 * {classification: real|false|test|device_fault, note}. */
export function incidentAction(id, action, body = {}) {
  return api(`api/v1/incidents/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
}

/** Alarm actions (staff): POST api/v1/alarms/{id}/{acknowledge|silence} (id: the alarm's number). */
export function alarmAction(id, action, body = {}) {
  return api(`api/v1/alarms/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
}

/** Residents: my sessions, newest first (GET api/v1/sessions?mine=true: a list of sessions with status
 * requested | active | ended, energy_wh, cost_fen, requested_ms / active_ms / ended_ms), start by QR id, stop. */
export async function mySessions() {
  return list(await optional("api/v1/sessions?mine=true"), "sessions", "items");
}

export function startSession(qr) {
  return api("api/v1/sessions", { method: "POST", body: { qr } });
}

export function stopSession(id) {
  return api(`api/v1/sessions/${encodeURIComponent(id)}/stop`, { method: "POST" });
}

/** Residents: my wallet (GET api/v1/wallet: balance_fen) and notification settings (GET/PUT
 * api/v1/me/notifications: {channel, finished, stopped, free_socket, sheds}). */
export function wallet() {
  return optional("api/v1/wallet");
}

export function notifications() {
  return optional("api/v1/me/notifications");
}

export function saveNotifications(body) {
  return api("api/v1/me/notifications", { method: "PUT", body });
}
