"""The demo's authorised shed, ready for a resident to try a charging session: bikes parked and plugged in on its
first post (relays open, waiting for a session), a tariff for the community and credit on the resident's wallet.

The simulated residents do not play on an authorised shed: they are device twins that speak MQTT only, and a
session starts with a logged-in resident's HTTP call (docs/accounts.md), so the evening plays on the open shed and
the authorised one stays quiet with a few plugged bikes for the viewer to charge by QR id.
"""

from pathlib import Path

import httpx
import tomli_w

from protocol.config import ShedConfig

PARKED_SOCKETS = (1, 2, 3)  # on the shed's first post: plugged in, waiting for a session
TRY_SOCKET = 2  # the one the console tells the resident to type
CREDIT_FEN = 2000  # 20 yuan: hours of e-bike charging at the demo's tariff
TARIFF = {
    "timezone": "Asia/Shanghai",
    "billing": "energy",
    "schedule": [{"start": "00:00", "period": "flat"}],
    "per_kwh": {"flat": 0.6},
}


def parked_scenario(shed_file: Path, shed: ShedConfig, seed: int = 11) -> str:
    """A scenario of the shed alone, no residents, bikes plugged in at the start on the first post's sockets."""
    post = shed.posts[0]
    bikes = [
        {"at_s": 0, "device": post.id, "socket": n, "chemistry": "lithium", "voltage": 48, "capacity_ah": 20}
        | {"soc": 0.3, "charger_w": 200}
        for n in PARKED_SOCKETS
        if n <= post.sockets
    ]
    doc = {"name": f"demo-{shed.shed}-parked", "seed": seed, "residents": False, "sheds": [{"path": str(shed_file)}]}
    return tomli_w.dumps({**doc, "bikes": bikes})


def try_qr(shed: ShedConfig) -> str:
    """The QR id the console gives the resident: the default ``{shed}-{post}-{socket}`` of a parked bike's socket."""
    post = shed.posts[0]
    return f"{shed.shed}-{post.id}-{min(TRY_SOCKET, post.sockets)}"


def prepare_charging(base_url: str, community: str, admin: tuple[str, str], operator: tuple[str, str]) -> None:
    """Give the community a tariff (when it has none) and credit the resident's wallet, as staff would, over the
    API. Raises RuntimeError naming the step that failed."""
    with httpx.Client(base_url=base_url, timeout=30) as http:

        def token(user: tuple[str, str]) -> dict[str, str]:
            r = http.post("/api/v1/auth/token", data={"username": user[0], "password": user[1]})
            if r.status_code != 200:
                raise RuntimeError(f"demo charging: login {user[0]}: {r.status_code} {r.text}")
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        if http.get(f"/api/v1/communities/{community}/tariff").status_code == 404:
            r = http.put(f"/api/v1/communities/{community}/tariff", json=TARIFF, headers=token(admin))
            if r.status_code != 200:
                raise RuntimeError(f"demo charging: tariff: {r.status_code} {r.text}")
        credit = {"amount_fen": CREDIT_FEN, "community": community, "note": "demo credit"}
        r = http.post("/api/v1/residents/resident/wallet/credits", json=credit, headers=token(operator))
        if r.status_code != 201:
            raise RuntimeError(f"demo charging: credit: {r.status_code} {r.text}")
