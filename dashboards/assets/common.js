// What every page shares: translations, the language switch, calls to the API, login, and small formatters.
// Paths are relative ("api/v1/...", "pages/...") so the pages also work behind a reverse proxy's sub-path.

import { esc } from "./model.js";

export { esc };

export const LANGS = ["zh-CN", "en"];
export const DEFAULT_LANG = "zh-CN";
const LANG_KEY = "shedwatch.lang";
let dict = {};
const rerenders = [];

/** The language in force: ?lang= first, then the one the user chose last, else zh-CN. */
export function currentLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(asked)) return asked;
  const kept = localStorage.getItem(LANG_KEY);
  return LANGS.includes(kept) ? kept : DEFAULT_LANG;
}

/** Load the dictionary of the current language and translate the document. */
export async function loadI18n() {
  const lang = currentLang();
  const r = await fetch(`pages/i18n/${lang}.json`);
  dict = await r.json();
  document.documentElement.lang = lang;
  applyI18n(document);
  showZone();
  for (const fn of rerenders) fn();
}

/** A translated string; `{name}` placeholders are filled from vars. Unknown keys show as themselves. */
export function t(key, vars = {}) {
  let s = dict[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** The translation of `key`, or `fallback` when the dictionary has none (for values a page may not know yet). */
export function label(key, fallback) {
  return key in dict ? t(key) : fallback;
}

/** Translate data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder and data-i18n-title. */
export function applyI18n(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}

/** Call fn again after each language switch (pages redraw what they built from strings). */
export function onLanguage(fn) {
  rerenders.push(fn);
}

/** Wire a button that switches between zh-CN and English; the choice is kept in localStorage. */
export function langSwitch(button) {
  button.addEventListener("click", async () => {
    const next = currentLang() === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem(LANG_KEY, next);
    const url = new URL(location.href);
    url.searchParams.delete("lang");
    history.replaceState(null, "", url);
    await loadI18n();
  });
}

export class ApiError extends Error {
  /** status: HTTP status; detail: the server's sentence; code: a coded refusal's code (docs/api.md), else null. */
  constructor(status, detail, code = null) {
    super(`${status} ${detail}`);
    this.status = status;
    this.detail = detail;
    this.code = code;
  }
}

/**
 * What to tell the user about a failed call: a coded refusal ({"detail": {"code", "message"}}, docs/api.md) in the
 * page's language (i18n key `refusal.CODE`), else the server's sentence, else the error's own text.
 */
export function errorText(e) {
  if (e instanceof ApiError) return e.code && `refusal.${e.code}` in dict ? t(`refusal.${e.code}`) : e.detail;
  return e?.message ?? String(e);
}

/** JSON from the API. Throws ApiError(status, detail) on an HTTP error, TypeError when the server is unreachable. */
export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (form) {
    payload = new URLSearchParams(form);
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, cache: "no-store", credentials: "same-origin" });
  if (!r.ok) {
    let detail = r.statusText;
    let code = null;
    try {
      const j = await r.json();
      if (j.detail && typeof j.detail === "object" && typeof j.detail.code === "string") {
        code = j.detail.code; // a coded refusal: the page translates the code (errorText)
        detail = String(j.detail.message ?? j.detail.code);
      } else {
        detail = typeof j.detail === "string" ? j.detail : JSON.stringify(j.detail ?? j);
      }
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(r.status, detail, code);
  }
  return r.status === 204 ? null : r.json();
}

/** Who is logged in (GET api/v1/me), null when nobody is, or "no-auth" when this cloud has no login yet (404). */
export async function whoAmI() {
  try {
    return await api("api/v1/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return "no-auth";
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** Log in with the session cookie (POST api/v1/auth/login) and return GET api/v1/me. */
export async function login(username, password) {
  await api("api/v1/auth/login", { method: "POST", body: { username, password } });
  return api("api/v1/me");
}

export async function logout() {
  await api("api/v1/auth/logout", { method: "POST" });
}

/** Show the login form in `box` until someone logs in; resolves to GET api/v1/me. */
export function loginForm(box) {
  return new Promise((resolve) => {
    box.innerHTML = `<form class="card" id="login-form" style="max-width:26rem;margin:2rem auto">
      <h2 data-i18n="login.title"></h2>
      <label for="login-user" data-i18n="login.username"></label><input id="login-user" name="username" autocomplete="username" required>
      <label for="login-pass" data-i18n="login.password"></label><input id="login-pass" name="password" type="password" autocomplete="current-password" required>
      <p class="error" id="login-error" role="alert"></p>
      <button class="primary" type="submit" data-i18n="login.submit"></button></form>`;
    applyI18n(box);
    const f = box.querySelector("form");
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const me = await login(f.username.value, f.password.value);
        box.replaceChildren();
        resolve(me);
      } catch (e) {
        box.querySelector("#login-error").textContent = e instanceof ApiError && e.status < 500 ? t("login.failed") : t("error.unreachable");
      }
    });
    f.username.focus();
  });
}

/**
 * Say in `box` that this page's staff panels are not for the logged-in role, with a way to the residents' page and
 * out (the page then loads none of its staff data: no panel shows "alarms 0" to someone not allowed alarms).
 */
export function notForRole(box, me) {
  box.innerHTML = `<section class="card not-for-role" role="alert" style="max-width:32rem;margin:2rem auto">
    <h2></h2><div class="actions"><a class="button" href="resident"></a><button type="button"></button></div></section>`;
  box.querySelector("h2").textContent = t("role.not_here", { role: t(`role.${me.role}`) });
  box.querySelector("a").textContent = t("role.go_resident");
  const out = box.querySelector("button");
  out.textContent = t("login.logout");
  out.addEventListener("click", async () => (await logout(), location.reload()));
}

// Times are the community's, not the viewer's: a wall PC or a guard's phone set to UTC must still show the shed's
// local time. The zone is the one the API gives (a link's shed.tz; the community's settings for staff), else the
// deployment's default; each page says which in its header (#tz).
export const DEFAULT_TZ = "Asia/Shanghai";
let zone = DEFAULT_TZ;

/** The IANA zone the page writes times in. */
export function timeZone() {
  return zone;
}

/** Write times in `tz` from now on (an unknown or empty zone keeps the one in force) and redraw. */
export function setTimeZone(tz) {
  if (!tz || tz === zone) return;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
  } catch {
    return;
  }
  zone = tz;
  showZone();
  for (const fn of rerenders) fn();
}

/** Staff: the zone of their (first) community, from GET api/v1/config/communities/{c}; quietly none when refused. */
export async function zoneOf(me) {
  const community = me?.communities?.[0];
  if (!community) return;
  try {
    setTimeZone((await api(`api/v1/config/communities/${encodeURIComponent(community)}`)).tz);
  } catch {
    /* not allowed or not served: the default zone stays, and the header says which it is */
  }
}

/** The header's "Times: Asia/Shanghai" (made next to the language button when the page has no #tz). */
function showZone() {
  let el = document.getElementById("tz");
  const lang = document.getElementById("lang");
  if (!el && lang) {
    el = document.createElement("span");
    el.id = "tz";
    el.className = "who";
    lang.before(el);
  }
  if (el) el.textContent = t("time.zone", { tz: zone });
}

// Times are written the page's way, not the browser's: zh-CN on a 24-hour clock (an en-US browser would
// otherwise print "8:15:00 PM" on a Chinese page), English as English does; in the community's zone.
function timeOptions() {
  return currentLang() === "zh-CN" ? { hourCycle: "h23", timeZone: zone } : { timeZone: zone };
}

/** Epoch ms as date and time in the page's language and the community's zone; "—" for none. */
export function when(ms) {
  return ms ? new Date(ms).toLocaleString(currentLang(), timeOptions()) : "—";
}

/** Epoch ms as the time of day in the page's language (zh-CN: 24-hour); "—" for none (null: not known yet). */
export function timeOfDay(ms) {
  return ms ? new Date(ms).toLocaleTimeString(currentLang(), timeOptions()) : "—";
}

/** Seconds as m:ss or h:mm:ss. */
export function duration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "—";
  const neg = s < 0;
  s = Math.abs(Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${neg ? "-" : ""}${h ? h + ":" : ""}${mm}:${String(sec).padStart(2, "0")}`;
}

/**
 * A service clock's time left (seconds, from clockLeft) in words: with `key` ("alarm.ack_left": "accept within
 * {left}") or bare. Past its due time it reads "overdue 2:38:07" (never a negative countdown) and `overdue` is set
 * so the page can style it apart. Returns {text, overdue}.
 */
export function clockText(left, key = null) {
  if (left !== null && left !== undefined && left < 0) return { text: t("clock.overdue", { over: duration(-left) }), overdue: true };
  const d = duration(left);
  return { text: key ? t(key, { left: d }) : d, overdue: false };
}

/** The same as a <span class="clock">, class `overdue` when past due. */
export function clockHtml(left, key = null) {
  const c = clockText(left, key);
  return `<span class="clock${c.overdue ? " overdue" : ""}" data-overdue="${c.overdue}">${esc(c.text)}</span>`;
}

/**
 * A counting clock: clockHtml inside a <span data-due> that tickClocks() redraws each second. Every counting clock
 * of a page is drawn from one cloud time per tick, so two views of the same clock (a list and a panel) never differ.
 */
export function tickingClock(dueMs, now, key = null) {
  const left = now === null || now === undefined ? NaN : (dueMs - now) / 1000;
  return `<span class="ticking" data-due="${Number(dueMs)}" data-clock-key="${esc(key ?? "")}">${clockHtml(left, key)}</span>`;
}

/** Redraw every counting clock under `root` at the cloud time `now` (epoch ms; null: not known yet, shown as —). */
export function tickClocks(root, now) {
  for (const el of root.querySelectorAll("span.ticking[data-due]")) {
    const left = now === null || now === undefined ? NaN : (Number(el.dataset.due) - now) / 1000;
    el.innerHTML = clockHtml(left, el.dataset.clockKey || null);
  }
}

/** A number with a unit, or a dash when unknown. */
export function num(v, unit, digits = 0) {
  return v === null || v === undefined || Number.isNaN(v) ? "—" : `${Number(v).toFixed(digits)} ${unit}`;
}

/** State every page exposes for tests and for the curious (window.shedwatch). */
export const exposed = (window.shedwatch = window.shedwatch || {});

/** The page has its first data on screen: window.shedwatch.ready, and readyMs since navigation (bench.pages). */
export function markReady() {
  exposed.readyMs = performance.now();
  exposed.ready = true;
}
