"""An embedded MQTT 3.1.1 broker (amqtt) for machines without mosquitto.

python -m shedwatch.embedded_broker --port P
Clients must connect with MQTT 3.1.1 (broker URL ``?protocol=311``): amqtt speaks no
MQTT 5 and has no shared subscriptions, so it serves the one-command demo, not scale.
"""

import argparse
import asyncio
import contextlib
import logging
import signal

from amqtt.broker import Broker


def broker_config(port: int, host: str = "127.0.0.1") -> dict[str, object]:
    """amqtt configuration: one anonymous TCP listener, no $SYS chatter."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 1000}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


async def serve(port: int, host: str = "127.0.0.1") -> None:
    """Run the broker until SIGINT or SIGTERM."""
    broker = Broker(broker_config(port, host))
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    with contextlib.suppress(Exception):  # a half-closed client must not turn a clean stop into a crash
        await broker.shutdown()


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args.port, args.host))


if __name__ == "__main__":
    main()
