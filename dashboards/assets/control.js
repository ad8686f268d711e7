// The control-room wall screen: every shed at a glance, the socket grid, the alarm banner and siren, incidents,
// this week's kept promises and history charts. Any stream event (or each 1 s poll without a stream) refreshes
// what it touches within a second (docs/pages.md).

import { cloudNow } from "./clock.js";
import { applyI18n, esc, exposed, label, markReady, langSwitch, loadI18n, loginForm, logout, notForRole, num, onLanguage, t, tickClocks, tickingClock, timeOfDay, when, whoAmI, zoneOf } from "./common.js";
import * as data from "./data.js";
import { drillButton } from "./drill.js";
import { followLive } from "./live.js";
import { ackDoneMs, alarmKey, alarmTitle, alarmWhere, alarmWords, annunciation, cameraLink, clockLeft, keptFigures, mostUrgentIncident, pageAllows, shownAs, socketState, stopNote, timelineDetail, timelineKind, weekStart } from "./model.js";
import { Siren } from "./siren.js";

const $ = (id) => document.getElementById(id);
const siren = new Siren();
const state = {
  me: null,
  sheds: [],
  sockets: {}, // shed -> [socket] or null when not served
  alarms: null, // null: this user or cloud has no alarm list
  incidents: null,
  week: null,
  selectedIncident: null,
  selectedSocket: null,
  silencedHere: new Set(),
  lost: false,
  refreshedAt: null,
};
exposed.control = state;
Object.defineProperty(exposed, "siren", { get: () => siren.status(), configurable: true });

let refreshing = null;
let again = false;

/** Reload what the screen shows; concurrent calls fold into one more pass. */
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const sheds = await data.availability();
      const details = await Promise.all(sheds.map((s) => data.shedSockets(s.shed)));
      // "This week" is the cloud's week: unknown until the first ping gives the cloud's time (clock.js).
      const now = cloudNow();
      const [alarms, incidents, week] = await Promise.all([
        data.openAlarms(),
        data.openIncidents(),
        now === null ? undefined : data.incidentsSince(weekStart(now)),
      ]);
      // Each incident of the list carries its clocks (docs/api.md): one request, not one per incident.
      state.incidents = incidents;
      state.week = week;
      state.sheds = sheds;
      state.sockets = Object.fromEntries(sheds.map((s, i) => [s.shed, details[i]]));
      state.alarms = alarms;
      state.weekNow = now;
      state.refreshedAt = cloudNow();
      state.loaded = true;
      render();
    } while (again);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

function render() {
  renderSheds();
  renderBanner();
  renderIncidents();
  renderWeek();
}

function renderSheds() {
  const box = $("sheds");
  $("sheds-status").textContent = state.sheds.length ? t("control.refreshed", { time: timeOfDay(state.refreshedAt) }) : t("avail.none");
  const alarms = state.alarms ?? [];
  box.replaceChildren(
    ...state.sheds.map((s) => {
      const card = document.createElement("article");
      card.className = "card shed" + (s.edge_online ? "" : " offline-edge");
      card.dataset.shed = s.shed;
      const counts = ["free", "charging", "plugged", "full", "faulted", "stopped"]
        .map((k) => `<span class="count" data-k="${k}">${esc(t(`state.${k}`))} <b>${s[k] ?? 0}</b></span>`)
        .join("");
      const shedAlarms = alarms.filter((a) => alarmWhere(a).shed === s.shed).length;
      card.innerHTML = `<h3>${esc(s.shed)} <span class="muted">${esc(s.community)}</span></h3>
        <div class="counts">${counts}<span>${esc(t("control.alarms"))} <b>${shedAlarms}</b></span></div>
        ${s.edge_online ? "" : `<p class="error">${esc(t("avail.offline"))}</p>`}
        <div class="sockets" role="list"></div>`;
      const grid = card.querySelector(".sockets");
      const socks = state.sockets[s.shed];
      if (socks === null || socks === undefined) {
        grid.outerHTML = `<p class="muted">${esc(t("control.no_detail"))}</p>`;
        return card;
      }
      for (const sock of socks) {
        const st = socketState(sock, alarms, s.edge_online);
        const cell = document.createElement("button");
        cell.className = `sock ${st}`;
        cell.setAttribute("role", "listitem");
        cell.dataset.socket = `${sock.device}/${sock.socket}`;
        cell.dataset.state = st;
        cell.innerHTML = `<b>${esc(sock.device)} #${esc(sock.socket)}</b>${esc(t(`state.${st}`))}<br>${num(sock.power_w, "W")} · ${num(sock.temp_c, "°C", 1)}`;
        const note = stopText(sock);
        if (note) {
          // Who stopped it and when: on hover (title), on keyboard focus (the tooltip, style.css) and read out
          // with the cell (aria-describedby); the chart's title repeats it when the cell is chosen.
          const id = `stop-${s.shed}-${sock.device}-${sock.socket}`;
          cell.title = note;
          cell.setAttribute("aria-describedby", id);
          cell.insertAdjacentHTML("beforeend", `<span class="stop-note" id="${esc(id)}" data-k="stop-note">${esc(note)}</span>`);
        }
        cell.addEventListener("click", () => showSocket(sock));
        grid.append(cell);
      }
      return card;
    }),
  );
}

/** "stopped by X at T" in the page's language for a stopped socket, else null. */
function stopText(sock) {
  const n = stopNote(sock);
  if (n === null) return null;
  const time = timeOfDay(n.ts);
  return n.by === null ? t("control.stopped_at", { time }) : t("control.stopped_by", { who: n.by, time });
}

function renderBanner() {
  const banner = $("alarm-banner");
  const a = annunciation(state.alarms ?? [], state.silencedHere, cloudNow());
  exposed.annunciation = a;
  banner.classList.toggle("hidden", !a.show);
  banner.classList.toggle("flash", a.flash);
  if (a.show) {
    const w = alarmWhere(a.top);
    const where = [w.shed, w.device && w.device !== "-" ? w.device : null, w.socket ? `#${w.socket}` : null].filter(Boolean).join(" ");
    $("alarm-text").textContent = `${t(`class.${a.top.alarm_class}`)} · ${where} · ${alarmWords(a.top, label)} (${t("alarm.unacked", { n: a.unacked })})`;
    $("alarm-text").title = alarmTitle(a.top); // the edge's own (English) words, on hover only
  }
  $("silence").disabled = !a.sound;
  $("ack-top").disabled = !a.unacked;
  if (a.sound) siren.start();
  else siren.stop();
  $("sound").classList.toggle("hidden", !(a.sound && siren.state === "suspended"));
}

function renderIncidents() {
  const ul = $("incidents");
  $("incidents-note").textContent = state.incidents === null ? t("control.no_incident_route") : state.incidents.length ? "" : t("control.no_incidents");
  const now = cloudNow();
  ul.replaceChildren(
    ...(state.incidents ?? []).map((inc) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.dataset.incident = inc.id;
      // The same clock as the panel's (ackDoneMs: on site counts as accepted), counting each second (tickClocks).
      const left = clockLeft(ackDoneMs(inc), inc.clocks?.ack_due_ms, now);
      const accepted = shownAs(inc, "acked_by") ?? shownAs(inc, "onsite_by");
      const clock = accepted ? esc(t("alarm.accepted_by", { who: accepted })) : left === null ? esc(t("alarm.not_accepted")) : tickingClock(inc.clocks.ack_due_ms, now, "alarm.ack_left");
      b.innerHTML = `${esc(`${t(`class.${inc.alarm_class}`)} · ${inc.shed} · ${when(inc.opened_ms)}`)} · ${clock}`;
      b.addEventListener("click", () => ((state.picked = true), showIncident(inc.id)));
      li.append(b);
      return li;
    }),
  );
  // A wall screen shows the most urgent open incident (the newest of its class) unless someone picked another one.
  const open = (state.incidents ?? []).map((i) => i.id);
  if (!state.picked || !open.includes(state.selectedIncident)) state.selectedIncident = mostUrgentIncident(state.incidents);
  if (state.selectedIncident) showIncident(state.selectedIncident, false);
  else $("incident").classList.add("hidden");
}

// The panel and the chart load on their own; a cloud gone meanwhile (the LIVE DATA LOST banner says so) leaves
// them as they were instead of an unhandled rejection.
function showIncident(id, focus = true) {
  selectIncident(id, focus).catch(() => {});
}

function showSocket(sock) {
  selectSocket(sock).catch(() => {});
}

async function selectIncident(id, focus = true) {
  state.selectedIncident = id;
  const body = await data.incident(id);
  const box = $("incident");
  if (body === null) {
    box.classList.add("hidden");
    return;
  }
  const inc = body.incident ?? body;
  const clocks = body.clocks ?? inc.clocks ?? {};
  box.classList.remove("hidden");
  $("incident-title").textContent = `${t(`class.${inc.alarm_class}`)} · ${inc.shed} · ${inc.id}`;
  const now = cloudNow();
  const clock = (done, due) => {
    const left = clockLeft(done, due, now);
    if (left === null) return done && due ? `<span class="clock ${done <= due ? "kept" : "broken"}">${esc(t(done <= due ? "clock.kept" : "clock.broken"))}</span>` : "—";
    return tickingClock(due, now);
  };
  $("incident-facts").innerHTML = `<dt>${esc(t("alarm.opened"))}</dt><dd>${esc(when(inc.opened_ms))}</dd>
    <dt>${esc(t("alarm.ack_clock"))}</dt><dd>${clock(ackDoneMs(inc), clocks.ack_due_ms)} ${esc(shownAs(inc, "acked_by") ?? "")}</dd>
    <dt>${esc(t("alarm.onsite_clock"))}</dt><dd>${clock(inc.onsite_ms, clocks.onsite_due_ms)} ${esc(shownAs(inc, "onsite_by") ?? "")}</dd>`;
  const cams = body.cameras ?? (await data.cameras(inc.shed)) ?? [];
  $("incident-cameras").innerHTML = cams.map(cameraLink).join("") || `<li class="muted">${esc(t("control.no_cameras"))}</li>`;
  $("incident-timeline").innerHTML = (body.timeline ?? [])
    .map((e) => {
      const kind = timelineKind(e.kind);
      const phase = kind.phase ? ` ${t("kind.upgrade_phase", { n: kind.phase })}` : "";
      return `<li data-kind="${esc(e.kind)}">${esc(timeOfDay(e.ts))} <b>${esc(label(kind.key, e.kind))}${esc(phase)}</b> ${esc(e.actor_name ?? e.actor ?? "")} ${esc(timelineDetail(e, label))}</li>`;
    })
    .join("");
  if (focus) $("incident-title").scrollIntoView({ block: "nearest" });
}

async function act(action) {
  const id = state.selectedIncident;
  if (!id) return;
  $("act-error").textContent = "";
  try {
    const body = action === "resolve" ? { classification: $("act-class").value } : {};
    await data.incidentAction(id, action, body);
    await refresh();
  } catch (e) {
    $("act-error").textContent = t("error.action", { detail: e.detail ?? e.message });
  }
}

function renderWeek() {
  const dl = $("week");
  if (state.week === null) {
    dl.innerHTML = `<dt>${esc(t("control.week"))}</dt><dd class="muted">${esc(t("control.no_incident_route"))}</dd>`;
    return;
  }
  const f = state.week === undefined ? null : keptFigures(state.week, state.weekNow);
  const line = (name) => {
    if (f === null) return `<dt>${esc(t(`alarm.${name}_clock`))}</dt><dd data-clock="${name}">—</dd>`; // cloud time not known yet
    const { ended, kept } = f[name];
    const pct = ended ? Math.round((100 * kept) / ended) + " %" : "—";
    return `<dt>${esc(t(`alarm.${name}_clock`))}</dt><dd data-clock="${name}">${esc(t("control.kept_of", { kept, ended }))} (${pct})</dd>`;
  };
  dl.innerHTML = line("ack") + line("onsite");
}

let chart = null;
async function selectSocket(sock) {
  state.selectedSocket = sock;
  const stop = stopText(sock);
  $("chart-title").textContent = `${sock.shed} ${sock.device} #${sock.socket}: ${t("chart.power")}, ${t("chart.temp")} (1 h)${stop ? ` · ${stop}` : ""}`;
  const end = cloudNow(); // the last hour on the cloud's clock; unknown for the first seconds (clock.js)
  if (end === null) {
    $("chart").textContent = "—";
    // Draw it once the first ping has told the cloud's time (while this socket is still the one selected).
    setTimeout(() => state.selectedSocket === sock && showSocket(sock), 500);
    return;
  }
  const start = end - 3_600_000;
  const [p, tc] = await Promise.all([
    data.history(sock.shed, sock.device, "power_w", sock.socket, start, end),
    data.history(sock.shed, sock.device, "temp_c", sock.socket, start, end),
  ]);
  const xs = [...new Set([...(p?.points ?? []), ...(tc?.points ?? [])].map((x) => x.ts))].sort((a, b) => a - b);
  const at = (series) => {
    const m = new Map((series?.points ?? []).map((x) => [x.ts, x.mean]));
    return xs.map((x) => m.get(x) ?? null);
  };
  const rows = [xs.map((x) => x / 1000), at(p), at(tc)];
  const box = $("chart");
  const wall = matchMedia("(min-width: 60rem) and (orientation: landscape)").matches; // style.css's wall layout
  const font = `${Math.round(0.8 * parseFloat(getComputedStyle(document.documentElement).fontSize))}px system-ui, sans-serif`;
  const opts = {
    width: Math.max(240, box.clientWidth),
    // on a wall screen at most a tenth of its height, so it fits without scrolling (style.css, body.wall)
    height: Math.max(wall ? 120 : 180, Math.min(Math.round(box.clientWidth * 0.45), wall ? Math.round(innerHeight * 0.1) : Infinity)),
    series: [{}, { label: t("chart.power"), stroke: "#1d5fbf", scale: "W" }, { label: t("chart.temp"), stroke: "#b42318", scale: "C" }],
    // Axis text follows the page's root size, so it reads on a wall screen too.
    axes: [{ font }, { scale: "W", label: "W", font, labelFont: font }, { scale: "C", side: 1, label: "°C", grid: { show: false }, font, labelFont: font }],
  };
  if (chart) chart.destroy();
  box.replaceChildren();
  chart = new window.uPlot(opts, rows, box);
  exposed.chartPoints = xs.length;
}

function onLive({ lost }) {
  const back = state.lost && !lost;
  state.lost = lost;
  if (back) refresh().catch(() => {}); // back: reload what may have changed meanwhile
}

async function main() {
  await loadI18n();
  langSwitch($("lang"));
  onLanguage(() => state.loaded && render());
  // One cloud time per second for the time of day and every counting clock (the list's and the panel's alike):
  // between the stream's pings (5 real s, 150 simulated s in the demo) they count on from clock.js's fit.
  setInterval(() => {
    const now = cloudNow();
    $("clock").textContent = timeOfDay(now);
    tickClocks(document, now);
  }, 1000);
  let me = await whoAmI();
  if (me === null) me = await loginForm($("login"));
  state.me = me;
  await zoneOf(me); // the community's time zone, not the wall PC's
  if (me && me !== "no-auth") {
    $("who").textContent = `${me.display_name || me.username} (${t(`role.${me.role}`)})`;
    $("logout").classList.remove("hidden");
    $("logout").addEventListener("click", async () => (await logout(), location.reload()));
  }
  if (!pageAllows("control", me)) {
    // A resident (or any role the wall screen is not for) sees no staff panel at all, only where to go instead.
    $("app").classList.add("hidden");
    notForRole($("login"), me);
    exposed.notForRole = true;
    markReady();
    return;
  }
  $("silence").addEventListener("click", () => {
    for (const a of state.alarms ?? []) {
      state.silencedHere.add(alarmKey(a));
      if (a.id !== undefined) data.alarmAction(a.id, "silence").catch(() => {}); // recorded by the server too
    }
    renderBanner();
  });
  $("ack-top").addEventListener("click", async () => {
    const a = annunciation(state.alarms ?? [], state.silencedHere, cloudNow()).top;
    const inc = (state.incidents ?? []).find((i) => i.shed === alarmWhere(a).shed);
    if (inc) {
      state.selectedIncident = inc.id;
      await act("acknowledge");
    } else {
      await data.alarmAction(a.id, "acknowledge").catch(() => {});
      await refresh();
    }
  });
  $("sound").addEventListener("click", async () => (await siren.unlock(), renderBanner()));
  $("act-ack").addEventListener("click", () => act("acknowledge"));
  $("act-onsite").addEventListener("click", () => act("on-site"));
  $("act-resolve").addEventListener("click", () => act("resolve"));
  applyI18n(document);
  drillButton($("drill"), $("drill-state"), me); // the demo's drill: only an admin, only in a demo
  await refresh().catch(() => {});
  followLive(refresh, onLive);
  markReady();
}

main();
