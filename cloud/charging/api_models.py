"""Request and response bodies of the charging routes (sessions, wallet, tariffs, notifications, QR ids)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from cloud.charging.repo import LedgerLine, NotifySettings, SessionRow, Wallet
from cloud.charging.tariff_spec import TariffSpec
from cloud.core.charging.precision import stated, stated_or_none
from cloud.core.tariff.cost import to_fen
from protocol.commands import LIMIT_S_MAX, LIMIT_WH_MAX
from protocol.ids import ID_PATTERN

QrId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


class StartSession(BaseModel):
    """``POST /api/v1/sessions``: the socket's QR id and at most one limit (none: the longest session)."""

    qr: QrId
    limit_wh: Annotated[float, Field(gt=0, le=LIMIT_WH_MAX, allow_inf_nan=False)] | None = None
    limit_s: Annotated[float, Field(gt=0, le=LIMIT_S_MAX, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> "StartSession":
        if self.limit_wh is not None and self.limit_s is not None:
            raise ValueError("give limit_wh or limit_s, not both")
        return self


class SessionLimit(BaseModel):
    """What the edge enforces: seconds energised and/or Wh (capped by the wallet and the longest session), to 0.01."""

    max_s: float | None
    max_wh: float | None


class SessionOut(BaseModel):
    """One charging session. Times epoch ms; energy Wh to 0.01; money fen (``cost_fen``: half-up of the running
    cost)."""

    id: str
    user_id: str
    community: str
    qr: str
    shed: str
    device: str
    socket: int
    status: Literal["requested", "active", "ended"]
    end_reason: (
        Literal[
            "full",
            "unplugged",
            "resident_stop",
            "staff_stop",
            "time_limit",
            "energy_limit",
            "fault",
            "refused",
            "not_confirmed",
        ]
        | None
    )
    end_detail: str
    limit: SessionLimit
    requested_ms: int
    active_ms: int | None
    ended_ms: int | None
    energy_wh: float
    cost_fen: int
    cost_by_period_fen: dict[Literal["peak", "flat", "valley"], int]
    tariff_version: int
    charged_fen: int | None  # debited from the wallet when it ended
    unpaid_fen: int | None  # what the balance could not pay
    stop_requested_by: Literal["resident", "staff"] | None
    reminders: int  # "please move your bike" reminders queued after full (staff may move it after 3)

    @classmethod
    def of(cls, row: SessionRow) -> "SessionOut":
        """From a stored session."""
        s = row.session
        return cls(
            id=s.session_id,
            user_id=s.user_id,
            community=s.community,
            qr=s.qr_id,
            shed=s.socket.shed,
            device=s.socket.device,
            socket=s.socket.socket,
            status=s.status.value,
            end_reason=s.end_reason.value if s.end_reason else None,
            end_detail=s.end_detail,
            limit=SessionLimit(max_s=stated_or_none(s.limit.max_s), max_wh=stated_or_none(s.limit.max_wh)),
            requested_ms=s.requested_ms,
            active_ms=s.active_ms,
            ended_ms=s.ended_ms,
            energy_wh=stated(s.energy_wh),
            cost_fen=to_fen(s.cost_yuan),
            cost_by_period_fen={p.value: to_fen(y) for p, y in s.cost_by_period.items()},
            tariff_version=row.tariff_version,
            charged_fen=row.charged_fen,
            unpaid_fen=row.unpaid_fen,
            stop_requested_by=row.stop_by,
            reminders=row.reminders,
        )


class LedgerOut(BaseModel):
    """One wallet line: a staff credit or a session's debit (``amount_fen`` > 0), and the balance after it."""

    id: int
    ts_ms: int
    kind: Literal["credit", "debit"]
    amount_fen: int
    balance_fen: int
    unpaid_fen: int
    session: str | None
    actor: str
    note: str

    @classmethod
    def of(cls, line: LedgerLine) -> "LedgerOut":
        """From a stored line."""
        return cls(
            id=line.id,
            ts_ms=line.ts_ms,
            kind=line.kind,
            amount_fen=line.amount_fen,
            balance_fen=line.balance_fen,
            unpaid_fen=line.unpaid_fen,
            session=line.session,
            actor=line.actor,
            note=line.note,
        )


class WalletOut(BaseModel):
    """A resident's balance (fen), what sessions left unpaid, and the newest ledger lines first."""

    user_id: str
    community: str | None
    balance_fen: int
    unpaid_fen: int
    ledger: list[LedgerOut]

    @classmethod
    def of(cls, user_id: str, wallet: Wallet | None, ledger: list[LedgerLine]) -> "WalletOut":
        """From the stored wallet (None: never credited: a zero balance)."""
        return cls(
            user_id=user_id,
            community=wallet.community if wallet else None,
            balance_fen=wallet.balance_fen if wallet else 0,
            unpaid_fen=wallet.unpaid_fen if wallet else 0,
            ledger=[LedgerOut.of(line) for line in ledger],
        )


class CreditIn(BaseModel):
    """A staff credit: whole fen (1 to the policy's most, 100,000 by default); ``community`` for a first credit."""

    amount_fen: Annotated[int, Field(gt=0, le=10_000_000)]
    community: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    note: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""  # no control characters


class TariffOut(TariffSpec):
    """A community's newest tariff, its version and who saved it when."""

    community: str
    version: int
    actor: str
    created_ms: int


class NotificationSettingsBody(BaseModel):
    """A resident's notification settings: the channel (an Apprise URL, e.g. ``pushplus://TOKEN``,
    ``bark://HOST/KEY``, ``mailto://...``, ``json://HOST:PORT/PATH``; empty: on the page only), the opt-ins, and
    the sheds to hear "a socket is free" from (ids of sheds in the resident's communities)."""

    channel: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    finished: bool = False
    stopped: bool = False
    free_socket: bool = False
    sheds: Annotated[list[Annotated[str, Field(pattern=ID_PATTERN)]], Field(max_length=50)] = []

    def to_settings(self) -> NotifySettings:
        """The stored form."""
        return NotifySettings(
            self.channel, self.finished, self.stopped, self.free_socket, tuple(sorted(set(self.sheds)))
        )

    @classmethod
    def of(cls, s: NotifySettings) -> "NotificationSettingsBody":
        """From the stored form."""
        return cls(
            channel=s.channel, finished=s.finished, stopped=s.stopped, free_socket=s.free_socket, sheds=list(s.sheds)
        )


class QrCode(BaseModel):
    """One socket's QR id."""

    qr: QrId
    device: Annotated[str, Field(pattern=ID_PATTERN)]
    socket: Annotated[int, Field(ge=1, le=64)]


class QrCodes(BaseModel):
    """A shed's QR ids (``PUT`` replaces the imported ones; a socket not listed keeps its default id)."""

    codes: Annotated[list[QrCode], Field(max_length=10_000)]


class RefusalOut(BaseModel):
    """Why the cloud will not do it: a stable ``code`` (docs/api.md, "Refusals") and a sentence."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """An error answer: a sentence (401, 403, ...) or, from the session service, a coded refusal."""

    detail: str | RefusalOut


class InvalidOut(BaseModel):
    """A 422: FastAPI's list of what breaks the request's schema, or a sentence (a tariff that cannot bill, ...)."""

    detail: str | list[dict[str, Any]]


_WHY = {
    400: "the body is not JSON",
    401: "not logged in, or a bad or expired token",
    402: "the wallet's balance is too low (insufficient_balance)",
    403: "the caller's role or communities do not allow it",
    404: "no such thing",
    409: "refused as things stand (a coded refusal)",
    422: "the request breaks its schema or the rules",
    503: "the session service is off in this process, or the shed or broker cannot be reached",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: every error status it may answer, documented with its body."""
    return {code: {"model": InvalidOut if code == 422 else ErrorOut, "description": _WHY[code]} for code in codes}
