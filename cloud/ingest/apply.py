"""Apply a stored batch to live state, in the order the state store applies it (pure)."""

from cloud.ingest.batch import Batch
from cloud.livestate import LiveState
from protocol.uplink import SocketStatusChanged


def apply_batch(live: LiveState, batch: Batch) -> None:
    """Births and deaths first (in seq order), then socket status events."""
    for state, _rx in sorted(batch.states, key=lambda x: x[0].seq):
        if state.state == "birth":
            live.apply_birth(state.src, state.sockets, seq=state.seq, ts=state.ts, session=state.session)
        else:
            live.apply_death(state.src, ts=state.ts, session=state.session)
    for event, _rx in batch.events:
        if isinstance(event, SocketStatusChanged):
            live.apply_status(event.src, event.device, event.socket, event.status, seq=event.seq, ts=event.ts)
