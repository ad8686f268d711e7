"""Domain events to and from JSON, as the state store's feed keeps them (pure)."""

from typing import Annotated

from pydantic import Field, TypeAdapter

from cloud.core.events import AnyEvent

_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(Annotated[AnyEvent, Field(discriminator="kind")])


def event_to_json(event: AnyEvent) -> bytes:
    """The event as JSON bytes, ``kind`` included (position too: readers take it from the row)."""
    return _ADAPTER.dump_json(event)


def event_from_json(data: bytes | str) -> AnyEvent:
    """The event a feed row holds; raises pydantic.ValidationError on a row no type matches."""
    return _ADAPTER.validate_json(data)
