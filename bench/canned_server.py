"""A trivial HTTP/1.1 server for bench.api's loader ceiling: every request on a keep-alive connection gets the
same prepared response of a given body size, with no routing, parsing or work beyond finding the request's end.

    python -m bench.canned_server PORT BODY_BYTES

It prints "ready" once listening. The load generator driving it at the bench's concurrency shows how many
requests per second the loader itself can make and read on this machine while sharing its cores: a rate the
API's figures must stay well under for them to measure the API, not the loader.
"""

import asyncio
import sys
from typing import cast

import uvloop


class Canned(asyncio.Protocol):
    """Answers each request (a block ending in a blank line; GETs carry no body) with ``response``."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.pending = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """One response per complete request in the bytes so far."""
        self.pending += data
        n = self.pending.count(b"\r\n\r\n")
        if n and self.transport is not None:
            self.pending = self.pending[self.pending.rindex(b"\r\n\r\n") + 4 :]
            self.transport.write(self.response * n)


async def serve(port: int, body_bytes: int) -> None:
    """Listen on 127.0.0.1:``port`` until killed."""
    body = b"x" * body_bytes
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    response = head.encode() + body
    server = await asyncio.get_running_loop().create_server(lambda: Canned(response), "127.0.0.1", port)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse the port and body size, serve."""
    uvloop.run(serve(int(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
