// The residents' page (phone): sheds with free sockets and when the next one frees, then, logged in, my session
// (energy, time, cost), stop, start by the socket's QR id, my wallet and notification opt-ins.
// The QR code on a socket holds this page's address with the id: /resident?qr=SHED-POST-N (any phone camera opens
// it); the id can also be typed.

import { cloudNow } from "./clock.js";
import { applyI18n, duration, errorText, esc, exposed, markReady, langSwitch, loadI18n, loginForm, logout, onLanguage, t, timeOfDay, when, whoAmI } from "./common.js";
import * as data from "./data.js";
import { followLive } from "./live.js";
import { pageAllows, shedOutlook } from "./model.js";

const $ = (id) => document.getElementById(id);
const state = { sheds: [], me: null, sessions: null, wallet: null, notify: null, notifyDirty: false, refreshedAt: null };
exposed.resident = state;
const NOTIFY_KINDS = ["finished", "free_socket", "stopped"];

/** The line under a shed with no free socket: when one frees, or that the shed is out of service. */
function outlookText(o) {
  if (o.kind === "out_of_service") return t("resident.out_of_service");
  return o.kind === "eta" ? t("resident.eta", { eta: duration(o.seconds) }) : t("resident.eta_unknown");
}

function renderSheds() {
  $("avail-status").textContent = state.sheds.length ? t("control.refreshed", { time: timeOfDay(state.refreshedAt) }) : t("avail.none");
  $("sheds").replaceChildren(
    ...state.sheds.map((s) => {
      const card = document.createElement("article");
      card.className = "card shed";
      card.dataset.shed = s.shed;
      const o = shedOutlook(s, cloudNow());
      card.innerHTML = `<h3>${esc(s.shed)} <span class="muted">${esc(s.community)}</span></h3>
        <p class="big ${s.free ? "free-now" : "free-none"}" data-k="free">${esc(t("resident.free_of", { free: s.free, total: s.total }))}</p>
        ${s.stopped ? `<p data-k="stopped">${esc(t("resident.stopped", { n: s.stopped }))}</p>` : ""}
        ${o.kind === "free" ? "" : `<p data-k="eta" data-outlook="${o.kind}" class="${o.kind === "out_of_service" ? "error" : ""}">${esc(outlookText(o))}</p>`}
        ${s.edge_online ? "" : `<p class="error">${esc(t("avail.offline"))}</p>`}`;
      return card;
    }),
  );
}

/** The session still running (requested or active), newest first as the API lists them. */
function active(sessions) {
  return (sessions ?? []).find((s) => !s.ended_ms && s.status !== "ended") ?? null;
}

function renderAccount() {
  const box = $("session");
  if (state.sessions === null) {
    box.innerHTML = `<p class="muted">${esc(t("resident.no_sessions_route"))}</p>`;
  } else {
    const s = active(state.sessions);
    if (!s) {
      box.innerHTML = `<p data-k="session-none">${esc(t("resident.no_session"))}</p>`;
    } else {
      const started = s.active_ms ?? s.requested_ms;
      const now = cloudNow();
      const secs = started && now !== null ? (now - started) / 1000 : null;
      const cost = s.cost_fen ?? s.cost;
      box.innerHTML = `<dl class="kv" data-session="${esc(s.id)}">
        <dt>${esc(t("resident.socket"))}</dt><dd>${esc(s.qr ?? `${s.shed ?? ""} ${s.device ?? ""} #${s.socket ?? ""}`)}</dd>
        <dt>${esc(t("resident.state"))}</dt><dd data-k="session-state">${esc(t(`session.${s.status}`))}</dd>
        <dt>${esc(t("resident.energy"))}</dt><dd>${s.energy_wh === undefined || s.energy_wh === null ? "—" : esc((s.energy_wh / 1000).toFixed(2)) + " kWh"}</dd>
        <dt>${esc(t("resident.time"))}</dt><dd>${esc(duration(secs))}</dd>
        <dt>${esc(t("resident.cost"))}</dt><dd>${cost === undefined || cost === null ? "—" : "¥" + esc((cost / 100).toFixed(2))}</dd>
        <dt>${esc(t("resident.since"))}</dt><dd>${esc(when(started))}</dd></dl>
        <div class="actions"><button class="danger" id="stop">${esc(t("resident.stop"))}</button></div>`;
      $("stop").addEventListener("click", async () => {
        try {
          await data.stopSession(s.id);
          await refreshAccount();
        } catch (e) {
          $("session-error").textContent = t("error.action", { detail: errorText(e) });
        }
      });
    }
  }
  const w = state.wallet;
  $("wallet").textContent = w === null ? t("resident.no_wallet") : `¥${((w.balance_fen ?? 0) / 100).toFixed(2)}`;
  $("wallet").className = w === null ? "muted" : "big";
  renderNotify();
}

/** The opt-ins form. Refreshes come every few seconds (each stream burst, each ping): while the resident is
 * editing (anything changed since the last fill or save) the boxes and the URL keep what they typed; the server's
 * values fill the form only while it is pristine, and again after a save. A language switch keeps the ticks. */
function renderNotify() {
  state.notifyRenders = (state.notifyRenders ?? 0) + 1; // tests wait for re-renders by this, not by time
  const n = state.notify;
  $("notify-note").textContent = n === null ? t("resident.no_notify_route") : "";
  const form = $("notify-form");
  const ticked = (k) => (state.notifyDirty ? Boolean(form.elements[k]?.checked) : Boolean(n && n[k]));
  $("notify-kinds").innerHTML = NOTIFY_KINDS.map(
    (k) => `<label><input type="checkbox" name="${k}" ${ticked(k) ? "checked" : ""} ${n === null ? "disabled" : ""}>${esc(t(`notify.${k}`))}</label>`,
  ).join("");
  if (!state.notifyDirty) $("notify-url").value = n?.channel ?? "";
}

async function refreshSheds() {
  state.sheds = await data.availability();
  state.refreshedAt = cloudNow();
  state.loaded = true;
  renderSheds();
}

async function refreshAccount() {
  if (!state.me) return;
  [state.sessions, state.wallet, state.notify] = await Promise.all([data.mySessions(), data.wallet(), data.notifications()]);
  renderAccount();
}

async function refresh() {
  await Promise.all([refreshSheds(), refreshAccount()]);
}

async function showAccount(me) {
  state.me = me;
  if (!pageAllows("resident-account", me)) {
    // Staff logged in here see the public part; the account part (session, wallet, opt-ins) is a resident's.
    state.me = null; // nothing of the account part is fetched
    $("signin").classList.add("hidden");
    $("staff-note").classList.remove("hidden");
    $("logout").classList.remove("hidden");
    $("logout").addEventListener("click", async () => (await logout(), location.reload()));
    exposed.notForRole = true;
    return;
  }
  $("account").classList.remove("hidden");
  $("signin").classList.add("hidden");
  if (me !== "no-auth") {
    $("logout").classList.remove("hidden");
    $("logout").addEventListener("click", async () => (await logout(), location.reload()));
  }
  await refreshAccount().catch(() => {});
}

async function main() {
  await loadI18n();
  langSwitch($("lang"));
  onLanguage(() => (renderSheds(), state.me && renderAccount()));
  applyI18n(document);
  const qr = new URLSearchParams(location.search).get("qr");
  if (qr) $("qr").value = qr;
  $("start-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("session-error").textContent = "";
    try {
      const s = await data.startSession($("qr").value.trim());
      // 201 but ended: the edge refused to switch the socket on. Its reason (end_detail) is staff wording
      // ("post-1/3 was stopped by an operator: start_socket first"): the resident gets a plain sentence.
      if (s?.status === "ended" && s.end_reason === "refused") $("session-error").textContent = t("resident.refused");
      await refreshAccount();
    } catch (e) {
      $("session-error").textContent = t("error.action", { detail: errorText(e) });
    }
  });
  // Any edit makes the form the resident's until saved (see renderNotify).
  const touched = () => (state.notifyDirty = true);
  $("notify-form").addEventListener("input", touched);
  $("notify-form").addEventListener("change", touched);
  $("notify-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const kinds = Object.fromEntries(NOTIFY_KINDS.map((k) => [k, f.elements[k].checked]));
    // "A socket is free" is per shed: the sheds chosen before, else every shed this page shows.
    const sheds = state.notify?.sheds?.length ? state.notify.sheds : state.sheds.map((s) => s.shed);
    try {
      await data.saveNotifications({ ...kinds, channel: f.channel.value.trim(), sheds: kinds.free_socket ? sheds : [] });
      state.notify = await data.notifications();
      state.notifyDirty = false; // saved: the server's values are the form's again
      renderNotify();
      $("notify-result").textContent = t("resident.saved");
    } catch (e) {
      $("notify-result").textContent = t("error.action", { detail: errorText(e) });
    }
  });
  await refreshSheds().catch(() => {});
  const me = await whoAmI().catch(() => null);
  if (me) await showAccount(me);
  else {
    // Availability needs no login; the account part asks for it only when wanted (or a QR id arrived).
    $("signin").classList.remove("hidden");
    const ask = async () => showAccount(await loginForm($("login")));
    $("signin").addEventListener("click", ask);
    if (qr) ask();
  }
  followLive(refresh);
  markReady();
}

main();
