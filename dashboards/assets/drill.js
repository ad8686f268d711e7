// The demo's drill button (docs/pages.md, "The demo's drill button"): shown only to an admin and only when the cloud
// answers GET api/v1/demo/drill with 200, which only `shedwatch demo`'s cloud does (404 anywhere else, 403 to
// other roles). A press asks for the thermal-runaway drill (POST, 202); what follows comes over the live stream.
import { api, errorText, t } from "./common.js";

export async function drillButton(button, status, me) {
  if (!me || me === "no-auth" || me.role !== "admin") return;
  try {
    await api("api/v1/demo/drill");
  } catch {
    return; // not a demo (404), or not allowed: no button
  }
  button.classList.remove("hidden");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("api/v1/demo/drill", { method: "POST" });
      status.textContent = t("control.drill_requested");
    } catch (e) {
      status.textContent = t("control.drill_failed", { detail: errorText(e) });
    } finally {
      button.disabled = false;
    }
  });
}
