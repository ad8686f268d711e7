// The security staff's phone view. Opened from an alert's signed link (/phone#link=TOKEN: the token stays in the
// fragment, out of server and proxy logs) it acts as the person the link names without a login; logged in, it lists
// the open incidents of my communities with their actions, where the shed is, what the edge did and the cameras.

import { cloudNow } from "./clock.js";
import { ApiError, applyI18n, duration, esc, exposed, markReady, langSwitch, loadI18n, loginForm, logout, onLanguage, t, when, whoAmI } from "./common.js";
import * as data from "./data.js";
import { followLive } from "./live.js";
import { cameraLink, clockLeft } from "./model.js";

const $ = (id) => document.getElementById(id);
const state = { link: null, me: null, incidents: null, details: {}, lost: false };
exposed.phone = state;

/** The token of a signed link: from #link=, ?link=, or a whole link URL pasted into either. */
export function linkToken(loc = location) {
  const raw = new URLSearchParams(loc.hash.slice(1)).get("link") ?? new URLSearchParams(loc.search).get("link");
  if (!raw) return null;
  const token = raw.includes("/link/") ? raw.slice(raw.lastIndexOf("/link/") + 6) : raw;
  const parts = token.split(".");
  if (parts.length !== 5) return null;
  const [action, incident, person, expires] = parts;
  return { token, action, incident, person, expires_ms: Number(expires) };
}

function renderLink() {
  const l = state.link;
  if (!l) return;
  $("link-view").classList.remove("hidden");
  $("link-h").textContent = t(`phone.link_${l.action}`);
  $("link-incident").textContent = l.incident;
  $("link-person").textContent = l.person;
  // Expired is judged on the cloud's clock (clock.js): the cloud checks the link against its own time.
  const now = cloudNow();
  const expired = now !== null && now > l.expires_ms;
  $("link-expiry").textContent = expired ? `${when(l.expires_ms)} (${t("phone.link_expired")})` : when(l.expires_ms);
  $("link-expiry").dataset.expired = String(expired);
  $("link-act").textContent = t(`phone.do_${l.action}`);
  $("link-act").classList.toggle("hidden", l.action === "view");
  $("link-page").href = `api/v1/alarms/link/${l.token}`;
}

async function linkAct() {
  const l = state.link;
  const out = $("link-result");
  $("link-act").disabled = true;
  try {
    // The link's own route: a POST acts (a GET only shows), as the person the token names.
    const r = await fetch(`api/v1/alarms/link/${encodeURIComponent(l.token)}`, { method: "POST", cache: "no-store" });
    if (r.ok) {
      out.textContent = t("phone.done", { person: l.person });
      out.className = "";
      state.linkDone = true;
    } else {
      let detail = r.statusText;
      try {
        detail = (await r.json()).detail ?? detail;
      } catch {
        /* keep the status text */
      }
      out.textContent = t("error.action", { detail });
      out.className = "error";
      $("link-act").disabled = r.status !== 409 ? false : true;
    }
  } catch {
    out.textContent = t("error.unreachable");
    out.className = "error";
    $("link-act").disabled = false;
  }
}

async function refresh() {
  state.incidents = await data.openIncidents();
  const ids = (state.incidents ?? []).map((i) => i.id);
  const bodies = await Promise.all(ids.map((id) => data.incident(id)));
  state.details = Object.fromEntries(ids.map((id, i) => [id, bodies[i]]));
  render();
  renderLink(); // its expiry, on the cloud's clock
}

function render() {
  const box = $("alerts");
  $("mine-note").textContent = state.incidents === null ? t("control.no_incident_route") : state.incidents.length ? "" : t("control.no_incidents");
  const now = cloudNow();
  box.replaceChildren(
    ...(state.incidents ?? []).map((inc) => {
      const body = state.details[inc.id] ?? {};
      const clocks = body.clocks ?? inc.clocks ?? {};
      const edge = (body.timeline ?? []).filter((e) => e.kind === "interlock");
      const card = document.createElement("article");
      card.className = `card alert-card ${inc.alarm_class}`;
      card.dataset.incident = inc.id;
      const left = clockLeft(inc.acked_ms, clocks.ack_due_ms, now);
      const accepted = inc.acked_by ?? inc.onsite_by;
      card.innerHTML = `<h3>${esc(t(`class.${inc.alarm_class}`))} · ${esc(inc.shed)}</h3>
        <dl class="kv"><dt>${esc(t("alarm.opened"))}</dt><dd>${esc(when(inc.opened_ms))}</dd>
        <dt>${esc(t("phone.where"))}</dt><dd>${esc(inc.shed)} ${esc(inc.community ?? "")}</dd>
        <dt>${esc(t("alarm.ack_clock"))}</dt><dd>${esc(accepted ? t("alarm.accepted_by", { who: accepted }) : left === null ? t("alarm.not_accepted") : t("alarm.ack_left", { left: duration(left) }))}</dd>
        <dt>${esc(t("phone.edge_did"))}</dt><dd>${edge.map((e) => esc(e.detail)).join("<br>") || "—"}</dd></dl>
        <ul>${(body.cameras ?? []).map(cameraLink).join("")}</ul>
        <div class="actions">
          <button class="primary" data-act="acknowledge">${esc(t("alarm.acknowledge"))}</button>
          <button data-act="on-site">${esc(t("alarm.onsite"))}</button>
          <label class="sr-only" for="cls-${esc(inc.id)}">${esc(t("alarm.classification"))}</label>
          <select id="cls-${esc(inc.id)}" style="width:auto">${["real", "false", "test", "device_fault"].map((c) => `<option value="${c}">${esc(t(`resolution.${c}`))}</option>`).join("")}</select>
          <button data-act="resolve">${esc(t("alarm.resolve"))}</button>
        </div><p class="error" role="alert"></p>`;
      for (const b of card.querySelectorAll("button[data-act]")) {
        b.addEventListener("click", async () => {
          const action = b.dataset.act;
          try {
            await data.incidentAction(inc.id, action, action === "resolve" ? { classification: card.querySelector("select").value } : {});
            await refresh();
          } catch (e) {
            card.querySelector(".error").textContent = t("error.action", { detail: e instanceof ApiError ? e.detail : e.message });
          }
        });
      }
      return card;
    }),
  );
}

async function main() {
  await loadI18n();
  langSwitch($("lang"));
  state.link = linkToken();
  onLanguage(() => (renderLink(), state.incidents && render()));
  renderLink();
  $("link-act").addEventListener("click", linkAct);
  applyI18n(document);
  let me = await whoAmI();
  if (me === null && !state.link) me = await loginForm($("login"));
  state.me = me;
  if (me && me !== "no-auth") {
    $("logout").classList.remove("hidden");
    $("logout").addEventListener("click", async () => (await logout(), location.reload()));
  }
  if (me) {
    $("mine").classList.remove("hidden");
    await refresh().catch(() => {});
    followLive(refresh);
  } else {
    // A link without a login still follows the stream (anonymous: availability and pings), for the cloud's clock.
    followLive(async () => renderLink());
  }
  markReady();
}

main();
