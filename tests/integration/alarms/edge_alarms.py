"""Edge alarm events as an edge agent builds them (alarm id SHED/TYPE/DEVICE[/SOCKET]), for the alarm tests."""

from protocol.uplink import AlarmClass, AlarmCleared, AlarmRaised


def edge_alarm(
    shed: str,
    seq: int,
    ts: int,
    *,
    alarm_type: str,
    alarm_class: AlarmClass,
    device: str,
    socket: int | None = None,
    message: str = "",
    raised: bool = True,
) -> AlarmRaised | AlarmCleared:
    """An AlarmRaised (or, with ``raised=False``, an AlarmCleared) of ``device`` (and ``socket``)."""
    kind = AlarmRaised if raised else AlarmCleared
    return kind(
        src=shed,
        seq=seq,
        ts=ts,
        alarm_id=f"{shed}/{alarm_type}/{device}" + (f"/{socket}" if socket else ""),
        alarm_class=alarm_class,
        alarm_type=alarm_type,
        device=device,
        socket=socket,
        message=message,
    )
