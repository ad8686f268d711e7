"""A compiled check for the commonest message, an edge telemetry batch, in front of the full contract.

Validating a 200-point batch through pydantic costs several µs per point, more than
storing it. msgspec decodes and checks the same schema (strict types, ranges, id and
field-name patterns, no unknown keys, finite numbers) in C. Only a payload this
check accepts skips the contract; anything else goes through protocol.codec, which
decides and names the reason. tests/unit/cloud/test_fastpath.py checks that this
never accepts what the contract rejects and that both give the same values.
"""

import re
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from protocol.codec import MAX_PAYLOAD_BYTES
from protocol.envelope import EPOCH_MS_MAX, EPOCH_MS_MIN, SEQ_MAX, SOCKET_MAX, SOCKET_MIN, Envelope
from protocol.ids import ID_MAX_LEN, ID_PATTERN
from protocol.uplink import FIELD_MAX_LEN, FIELD_PATTERN, MAX_FIELDS, MAX_POINTS

assert Envelope.model_fields["v"].default == 1  # this check knows schema version 1 only

# Patterns are checked after decoding, once per distinct name (msgspec would run Python's re on every string).
# pydantic's (Rust) '$' is the end of text; Python's re.fullmatch gives the same meaning.
_ID = re.compile(ID_PATTERN.removeprefix("^").removesuffix("$"))
_FIELD = re.compile(FIELD_PATTERN.removeprefix("^").removesuffix("$"))
# Every bound below is the contract's own constant: the fast path cannot drift from it.
_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_MAX_LEN)]
_Field = Annotated[str, msgspec.Meta(min_length=1, max_length=FIELD_MAX_LEN)]
_EpochMs = Annotated[int, msgspec.Meta(ge=EPOCH_MS_MIN, le=EPOCH_MS_MAX)]
_Finite = Annotated[float, msgspec.Meta(ge=-1.7976931348623157e308, le=1.7976931348623157e308)]


# gc=False: these hold no reference cycles, and tens of thousands of tracked objects per batch
# would make the cyclic garbage collector rescan them again and again.
class FastPoint(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """protocol.uplink.TelemetryPoint, as msgspec checks it."""

    ts: _EpochMs
    device: _Id
    fields: Annotated[dict[_Field, _Finite], msgspec.Meta(min_length=1, max_length=MAX_FIELDS)]
    socket: Annotated[int, msgspec.Meta(ge=SOCKET_MIN, le=SOCKET_MAX)] | None = None


class FastBatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """protocol.uplink.TelemetryBatch, as msgspec checks it."""

    v: Literal[1]  # required on the wire (protocol.envelope), though it defaults in code
    src: _Id
    seq: Annotated[int, msgspec.Meta(ge=0, le=SEQ_MAX)]
    ts: _EpochMs
    points: Annotated[list[FastPoint], msgspec.Meta(min_length=1, max_length=MAX_POINTS)]


_decoder = msgspec.json.Decoder(FastBatch)


# A fleet uses a few thousand device ids and a few dozen field names: each pattern is checked once.
_known_ids: set[str] = set()
_known_fields: set[str] = set()
_KNOWN_MAX = 100_000


def _known(known: set[str], names: Iterable[str], pattern: re.Pattern[str]) -> bool:
    for name in names:
        if name not in known:
            if not pattern.fullmatch(name):
                return False
            if len(known) >= _KNOWN_MAX:  # bounded, whatever a hostile sender invents
                known.clear()
            known.add(name)
    return True


def fast_telemetry(payload: bytes, shed: str) -> FastBatch | None:
    """The batch when it is certainly valid and from ``shed``; None to let the full contract decide."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        batch = _decoder.decode(payload)
    except msgspec.DecodeError:  # ValidationError is a DecodeError
        return None
    if batch.src != shed:  # shed comes from a parsed topic, so it is a valid id
        return None
    ids, fields = _known_ids, _known_fields
    for p in batch.points:
        if p.device not in ids and not _known(ids, (p.device,), _ID):
            return None
        if not fields.issuperset(p.fields) and not _known(fields, p.fields, _FIELD):
            return None
    return batch
