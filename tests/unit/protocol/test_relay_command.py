"""RelayCommand: per socket as before, or post-level (socket omitted), which can only switch off."""

import pytest

from protocol.codec import decode_message, encode
from protocol.device import RelayCommand
from protocol.errors import PayloadError
from protocol.topics import Kind, device_topic

TOPIC = device_topic(Kind.RELAY_SET, "shed-a", "post-1")
BASE = b'"v":1,"src":"shed-a","seq":7,"ts":1767225600000,"request_id":"r-7"'


def test_a_per_socket_command_of_the_old_contract_is_still_valid() -> None:
    _, cmd = decode_message(TOPIC, b"{" + BASE + b',"socket":3,"on":true,"reason":"operator_start"}')
    assert isinstance(cmd, RelayCommand) and cmd.socket == 3 and cmd.on and not cmd.post_level


def test_a_post_level_off_has_no_socket_on_the_wire() -> None:
    cmd = RelayCommand(src="shed-a", seq=7, ts=1_767_225_600_000, request_id="r-7", on=False, reason="smoke")
    wire = encode(cmd)
    assert b'"socket"' not in wire
    _, back = decode_message(TOPIC, wire)
    assert back == cmd and isinstance(back, RelayCommand) and back.post_level and back.socket is None


def test_a_post_level_on_is_refused() -> None:
    with pytest.raises(PayloadError) as err:
        decode_message(TOPIC, b"{" + BASE + b',"on":true,"reason":"operator_start"}')
    assert err.value.reason == "invalid_value" and "only switch off" in str(err.value)


@pytest.mark.parametrize("socket", [b"0", b"65", b'"3"'])
def test_a_socket_out_of_range_is_still_refused(socket: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_message(TOPIC, b"{" + BASE + b',"socket":' + socket + b',"on":false,"reason":"x"}')
