// The security staff's phone view. Opened from an alert's signed link (/phone#link=TOKEN: the token stays in the
// fragment, out of server and proxy logs) it acts as the person the link names without a login; logged in, it lists
// the open incidents of my communities with their actions, where the shed is, what the edge did and the cameras.

import { cloudNow } from "./clock.js";
import { api, ApiError, applyI18n, clockHtml, duration, esc, exposed, label, markReady, langSwitch, loadI18n, loginForm, logout, notForRole, onLanguage, setTimeZone, t, timeOfDay, when, whoAmI, zoneOf } from "./common.js";
import * as data from "./data.js";
import { followLive } from "./live.js";
import { alarmTitle, alarmWords, cameraLink, clockLeft, edgeWords, linkError, linkRefusal, pageAllows, personShown, shownAs, timelineDetail } from "./model.js";

const $ = (id) => document.getElementById(id);
// "My alerts": the list carries each incident's clocks (docs/api.md); only the incident opened on this phone has its
// detail (timeline for what the edge did, cameras) fetched: `opened` its id, `detail` its body, `detailFetches` a count.
const state = { link: null, me: null, incidents: null, opened: null, detail: null, detailFetches: 0, lost: false };
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

/** The link's incident as JSON (GET of the link with Accept: application/json, docs/api.md "LinkView"). */
async function loadLinkView() {
  const l = state.link;
  if (!l) return;
  try {
    state.linkView = await api(`api/v1/alarms/link/${encodeURIComponent(l.token)}`);
    state.linkError = null;
    // Where the cloud's time is not known yet (no ping), the answer's own clock reading stands in, aged locally.
    state.linkAt = { now_ms: state.linkView.link.now_ms, perf: performance.now() };
    setTimeZone(state.linkView.shed?.tz); // the shed's community's zone, not the phone's
  } catch (e) {
    state.linkView = null;
    state.linkError = e instanceof ApiError ? e.detail : t("error.unreachable");
  }
}

/** The cloud's time: its clock (clock.js) once a ping set it, else the link answer's reading plus the time since. */
function linkNow() {
  const now = cloudNow();
  if (now !== null || !state.linkAt) return now;
  return state.linkAt.now_ms + (performance.now() - state.linkAt.perf);
}

function clockLine(doneMs, doneBy, dueMs, now) {
  if (doneMs) {
    const kept = doneMs <= dueMs;
    return `<span class="clock ${kept ? "kept" : "broken"}">${esc(t(kept ? "clock.kept" : "clock.broken"))}</span> ${esc(doneBy ?? "")}`;
  }
  const left = clockLeft(doneMs, dueMs, now);
  return `${esc(when(dueMs))} · ${clockHtml(left)}`;
}

function renderLink() {
  const l = state.link;
  if (!l) return;
  $("link-view").classList.remove("hidden");
  $("link-h").textContent = t(`phone.link_${l.action}`);
  $("link-incident").textContent = l.incident;
  $("link-person").textContent = l.person;
  // Expired is judged on the cloud's clock (clock.js): the cloud checks the link against its own time.
  const now = linkNow();
  const expired = now !== null && now > l.expires_ms;
  $("link-expiry").textContent = expired ? `${when(l.expires_ms)} (${t("phone.link_expired")})` : when(l.expires_ms);
  $("link-expiry").dataset.expired = String(expired);
  $("link-act").textContent = t(`phone.do_${l.action}`);
  $("link-page").href = `api/v1/alarms/link/${l.token}`;
  const v = state.linkView;
  // The button shows only for what the cloud says the link allows now; otherwise the page says why not.
  const allowed = !!v && v.link.allows.includes(l.action);
  $("link-act").classList.toggle("hidden", !allowed || state.linkDone === true);
  const facts = $("link-facts");
  if (!v) {
    facts.replaceChildren();
    if (state.linkError !== undefined && state.linkError !== null && !state.linkDone) {
      $("link-result").textContent = t("phone.no_link_view", { detail: linkError(state.linkError, label) });
      $("link-result").className = "error";
    }
    return;
  }
  const inc = v.incident;
  $("link-view").className = `card alert-card ${inc.alarm_class}`; // a fire's card carries the alarm's red edge
  const where = [v.shed.name || v.shed.shed, v.shed.name ? v.shed.shed : null, v.shed.community].filter(Boolean).join(" · ");
  facts.innerHTML = `<h3 class="class-line">${esc(t(`class.${inc.alarm_class}`))} · ${esc(v.shed.shed)}</h3>
    <dl class="kv">
      <dt>${esc(t("phone.where"))}</dt><dd data-k="where">${esc(where)}</dd>
      <dt>${esc(t("alarm.opened"))}</dt><dd>${esc(when(inc.opened_ms))}</dd>
      <dt>${esc(t("phone.elapsed"))}</dt><dd data-k="elapsed"></dd>
      <dt>${esc(t("phone.accept_by"))}</dt><dd data-k="ack-clock"></dd>
      <dt>${esc(t("phone.onsite_by"))}</dt><dd data-k="onsite-clock"></dd>
      <dt>${esc(t("phone.alarms"))}</dt><dd data-k="alarms">${v.alarms
        .map((a) => `<span title="${esc(alarmTitle(a))}">${esc(t(`class.${a.alarm_class}`))} · ${esc(alarmWords(a, label))} ${esc([a.device !== "-" ? a.device : "", a.socket ? `#${a.socket}` : ""].join(" ").trim())} (${esc(t("phone.severity"))} ${a.severity}) · ${esc(label(`lifecycle.${a.state}`, a.state))}</span>`)
        .join("<br>") || "—"}</dd>
      <dt>${esc(t("phone.edge_did"))}</dt><dd data-k="edge">${v.edge.map((e) => `${esc(timeOfDay(e.ts))} ${esc(edgeWords(e, label))}`).join("<br>") || "—"}</dd>
    </dl>
    <h3>${esc(t("control.cameras"))}</h3>
    <ul data-k="cameras">${v.cameras.map(cameraLink).join("") || `<li class="muted">${esc(t("control.no_cameras"))}</li>`}</ul>
    <p data-k="allows" class="${allowed ? "" : "muted"}">${esc(allowed ? `${t("phone.link_allows")}: ${t(`phone.do_${l.action}`)}` : [t("phone.allows_nothing"), linkRefusal(v, label)].filter(Boolean).join(": "))}</p>`;
  tickLink();
}

/** Only the counting parts of the link view, each second: the rest stays put (a focused link keeps its focus). */
function tickLink() {
  const v = state.linkView;
  if (!v) return;
  const inc = v.incident;
  const c = inc.clocks;
  const now = linkNow();
  // Elapsed counts on from the cloud's reading while the incident is open (frozen at its resolution).
  const elapsed = inc.open && now !== null ? c.elapsed_s + (now - c.now_ms) / 1000 : c.elapsed_s;
  const box = $("link-facts");
  box.querySelector('[data-k="elapsed"]').textContent = duration(elapsed);
  box.querySelector('[data-k="ack-clock"]').innerHTML = clockLine(inc.acked_ms, shownAs(inc, "acked_by"), c.ack_due_ms, now);
  box.querySelector('[data-k="onsite-clock"]').innerHTML = clockLine(inc.onsite_ms, shownAs(inc, "onsite_by"), c.onsite_due_ms, now);
}

async function linkAct() {
  const l = state.link;
  const out = $("link-result");
  $("link-act").disabled = true;
  try {
    // The link's own route: a POST acts (a GET only shows), as the person the token names.
    // Accept: JSON, so a refusal answers {"detail"} (a form post without it gets the cloud's HTML page).
    const r = await fetch(`api/v1/alarms/link/${encodeURIComponent(l.token)}`, {
      method: "POST",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    if (r.ok) {
      state.linkDone = true;
      await loadLinkView();
      out.textContent = t("phone.done", { person: personShown(state.linkView, l.person) });
      out.className = "";
      renderLink();
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
  // Only the opened incident's detail is fetched; one resolved meanwhile closes.
  if (!(state.incidents ?? []).some((i) => i.id === state.opened)) state.opened = null;
  await loadDetail();
  render();
  await loadLinkView();
  renderLink(); // its expiry, on the cloud's clock
}

/** The opened incident's detail (GET api/v1/incidents/{id}: timeline, cameras), or none when nothing is open. */
async function loadDetail() {
  const id = state.opened;
  if (id === null) {
    state.detail = null;
    return;
  }
  state.detailFetches += 1;
  const body = await data.incident(id);
  if (state.opened === id) state.detail = body; // not one opened and closed again meanwhile
}

/** Open (or close, when it is the open one) an incident's card: its detail is fetched then. */
async function toggle(id) {
  state.opened = state.opened === id ? null : id;
  state.detail = null;
  render(id);
  await loadDetail();
  render(id);
}

/** What the edge did and the cameras, for the opened card (from its detail). */
function detailHtml() {
  const body = state.detail;
  if (body === null) return `<p class="muted" data-k="detail" aria-busy="true">…</p>`;
  const edge = (body.timeline ?? []).filter((e) => e.kind === "interlock");
  return `<dl class="kv" data-k="detail"><dt>${esc(t("phone.edge_did"))}</dt><dd data-k="edge">${edge.map((e) => `${esc(timeOfDay(e.ts))} ${esc(timelineDetail(e, label))}`).join("<br>") || "—"}</dd>
    <dt>${esc(t("control.cameras"))}</dt><dd><ul data-k="cameras">${(body.cameras ?? []).map(cameraLink).join("") || `<li class="muted">${esc(t("control.no_cameras"))}</li>`}</ul></dd></dl>`;
}

/** Draw the list; `focusId`: the card whose details button keeps the keyboard focus (it was just pressed). */
function render(focusId = null) {
  const box = $("alerts");
  $("mine-note").textContent = state.incidents === null ? t("control.no_incident_route") : state.incidents.length ? "" : t("control.no_incidents");
  const now = cloudNow();
  // A refresh redraws every card: keep what the guard was doing in it (the focused control, a chosen
  // classification), or a refresh every few seconds would pull the keyboard focus out from under them.
  const active = box.contains(document.activeElement) ? document.activeElement : null;
  const activeCard = active?.closest("article.alert-card")?.dataset.incident ?? null;
  const activeKey = active?.dataset.k ? `[data-k="${active.dataset.k}"]` : active?.dataset.act ? `[data-act="${active.dataset.act}"]` : active?.tagName === "SELECT" ? "select" : null;
  const chosen = new Map([...box.querySelectorAll("article.alert-card")].map((c) => [c.dataset.incident, c.querySelector("select")?.value]));
  box.replaceChildren(
    ...(state.incidents ?? []).map((inc) => {
      // the list's own clocks: no request per incident (docs/api.md "incidents list items carry clocks")
      const clocks = inc.clocks ?? {};
      const open = state.opened === inc.id;
      const card = document.createElement("article");
      card.className = `card alert-card ${inc.alarm_class}`;
      card.dataset.incident = inc.id;
      const left = clockLeft(inc.acked_ms, clocks.ack_due_ms, now);
      const accepted = shownAs(inc, "acked_by") ?? shownAs(inc, "onsite_by");
      card.innerHTML = `<h3>${esc(t(`class.${inc.alarm_class}`))} · ${esc(inc.shed)}</h3>
        <dl class="kv"><dt>${esc(t("alarm.opened"))}</dt><dd>${esc(when(inc.opened_ms))}</dd>
        <dt>${esc(t("phone.where"))}</dt><dd>${esc(inc.shed)} ${esc(inc.community ?? "")}</dd>
        <dt>${esc(t("alarm.ack_clock"))}</dt><dd data-k="ack-clock">${accepted ? esc(t("alarm.accepted_by", { who: accepted })) : left === null ? esc(t("alarm.not_accepted")) : clockHtml(left, "alarm.ack_left")}</dd></dl>
        <button data-k="details" aria-expanded="${open}" aria-controls="detail-${esc(inc.id)}">${esc(t(open ? "phone.hide_details" : "phone.show_details"))}</button>
        <div id="detail-${esc(inc.id)}">${open ? detailHtml() : ""}</div>
        <div class="actions">
          <button class="primary" data-act="acknowledge">${esc(t("alarm.acknowledge"))}</button>
          <button data-act="on-site">${esc(t("alarm.onsite"))}</button>
          <label class="sr-only" for="cls-${esc(inc.id)}">${esc(t("alarm.classification"))}</label>
          <select id="cls-${esc(inc.id)}" style="width:auto">${["real", "false", "test", "device_fault"].map((c) => `<option value="${c}">${esc(t(`resolution.${c}`))}</option>`).join("")}</select>
          <button data-act="resolve">${esc(t("alarm.resolve"))}</button>
        </div><p class="error" role="alert"></p>`;
      if (chosen.get(inc.id)) card.querySelector("select").value = chosen.get(inc.id);
      const details = card.querySelector("button[data-k='details']");
      details.addEventListener("click", () => toggle(inc.id).catch(() => {}));
      if (focusId === inc.id) queueMicrotask(() => details.focus());
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
  if (focusId === null && activeCard !== null && activeKey !== null) {
    box.querySelector(`article.alert-card[data-incident="${CSS.escape(activeCard)}"] ${activeKey}`)?.focus();
  }
}

async function main() {
  await loadI18n();
  langSwitch($("lang"));
  state.link = linkToken();
  onLanguage(() => (renderLink(), state.incidents && render()));
  await loadLinkView();
  renderLink();
  if (state.link) setInterval(tickLink, 1000); // the clocks count each second (no request: from the cloud's time)
  $("link-act").addEventListener("click", linkAct);
  applyI18n(document);
  let me = await whoAmI();
  if (me === null && !state.link) me = await loginForm($("login"));
  state.me = me;
  if (!state.link) await zoneOf(me); // a link's own shed gave the zone already
  if (me && me !== "no-auth") {
    $("logout").classList.remove("hidden");
    $("logout").addEventListener("click", async () => (await logout(), location.reload()));
  }
  if (me && !pageAllows("phone", me)) {
    // "My alerts" is for those who answer incidents; a link still works (the token is the credential).
    if (!state.link) notForRole($("login"), me);
    exposed.notForRole = true;
    me = null;
  }
  if (me) {
    $("mine").classList.remove("hidden");
    await refresh().catch(() => {});
    followLive(refresh);
  } else {
    // A link without a login still follows the stream (anonymous: availability and pings), for the cloud's clock.
    followLive(async () => (await loadLinkView(), renderLink()));
  }
  markReady();
}

main();
