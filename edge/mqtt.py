"""paho clients built from broker URLs: MQTT 5 or 3.1.1, TLS, credentials, persistent sessions."""

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.brokerurl import BrokerUrl


def make_client(url: BrokerUrl, client_id: str, *, persistent: bool) -> mqtt.Client:
    """A paho client (network loop in its own thread) for one broker; not yet connected."""
    if url.mqtt_version == 5:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set()
    return client


def connect_async(
    client: mqtt.Client, url: BrokerUrl, *, persistent: bool, session_expiry_s: int, keepalive: int = 15
) -> None:
    """Start connecting in the background; paho keeps reconnecting with backoff."""
    if url.mqtt_version == 5:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if persistent:
            props.SessionExpiryInterval = session_expiry_s
        client.connect_async(url.host, url.port, keepalive=keepalive, clean_start=not persistent, properties=props)
    else:
        client.connect_async(url.host, url.port, keepalive=keepalive)
