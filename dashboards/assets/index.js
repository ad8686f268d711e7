// GET /: free sockets per shed, from the public availability (no login), refreshed live.

import { cloudNow } from "./clock.js";
import { esc, exposed, markReady, langSwitch, loadI18n, onLanguage, t, timeOfDay, when } from "./common.js";
import * as data from "./data.js";
import { followLive } from "./live.js";

const $ = (id) => document.getElementById(id);
// every count of the public availability: the rows add up to `total` (docs/api.md)
const STATES = ["free", "charging", "plugged", "full", "faulted", "stopped"];
let sheds = [];
let refreshedAt = null;

function render() {
  $("status").textContent = sheds.length ? t("control.refreshed", { time: timeOfDay(refreshedAt) }) : t("avail.none");
  $("sheds").replaceChildren(
    ...sheds.map((s) => {
      const div = document.createElement("article");
      div.className = "card shed";
      div.dataset.shed = s.shed;
      const rows = STATES.map((k) => `<tr><th scope="row">${esc(t(`state.${k}`))}</th><td data-k="${k}">${s[k] ?? 0}</td></tr>`).join("");
      div.innerHTML = `<h2>${esc(s.shed)} <span class="muted">${esc(s.community)}</span></h2>
        <p class="big ${s.free ? "free-now" : "free-none"}">${esc(t("resident.free_of", { free: s.free, total: s.total }))}</p>
        <table>${rows}</table><p class="muted">${esc(when(s.updated_ts))}</p>
        ${s.edge_online ? "" : `<p class="error">${esc(t("avail.offline"))}</p>`}`;
      return div;
    }),
  );
}

async function refresh() {
  sheds = await data.availability();
  refreshedAt = cloudNow();
  render();
}

async function main() {
  await loadI18n();
  langSwitch($("lang"));
  onLanguage(render);
  await refresh().catch(() => {});
  followLive(refresh);
  markReady();
}

main();
