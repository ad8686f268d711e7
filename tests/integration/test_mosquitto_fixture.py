"""The broker fixture itself: a real mosquitto that can stop and restart keeping sessions."""

import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from shedwatch.mosquitto import Mosquitto

pytestmark = pytest.mark.integration


def _client(broker: Mosquitto, client_id: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    c.connect("127.0.0.1", broker.port)
    return c


def test_broker_is_on_its_own_port(mosquitto: Mosquitto) -> None:
    assert mosquitto.port != 1883
    assert mosquitto.running


def test_queued_qos1_message_survives_broker_restart(mosquitto: Mosquitto) -> None:
    got: list[bytes] = []
    done = threading.Event()

    sub = _client(mosquitto, "sub-1")
    sub.subscribe("t/x", qos=1)
    sub.loop_start()
    sub.disconnect()
    sub.loop_stop()

    pub = _client(mosquitto, "pub-1")
    pub.loop_start()
    pub.publish("t/x", b"kept", qos=1).wait_for_publish(5)
    pub.disconnect()
    pub.loop_stop()

    mosquitto.restart()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.append(msg.payload)
        done.set()

    sub = _client(mosquitto, "sub-1")
    sub.on_message = on_message
    sub.loop_start()
    assert done.wait(10)
    sub.disconnect()
    sub.loop_stop()
    assert got == [b"kept"]
