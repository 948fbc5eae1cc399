#!/usr/bin/env python3
"""PyPI `websockets`' echo server (its asyncio API), as a WebSocket peer that is not Barrage's (WebSocketsPeer.swift).

    ws_echo_peer.py [--host 127.0.0.1] [--port 0] [--cert CERT.pem --key KEY.pem]

Binds HOST:PORT (port 0 picks a free one) and prints `port N` on standard output once it listens. With --cert and
--key it speaks TLS (wss://) with that certificate and key. Every text or
binary message on any path is echoed back as it came; pings are answered by the library. On SIGTERM or SIGINT it
stops listening, closes its connections and prints one last line, `counts {"messages": M, "echoed": E,
"connections": C}` (messages received, echoes sent, connections accepted), then exits 0.
"""
import argparse
import asyncio
import json
import signal
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

counts = {"messages": 0, "echoed": 0, "connections": 0}


async def echo(websocket):
    counts["connections"] += 1
    try:
        async for message in websocket:
            counts["messages"] += 1
            await websocket.send(message)
            counts["echoed"] += 1
    except ConnectionClosed:
        pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    tls = None
    if args.cert or args.key:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with serve(echo, args.host, args.port, max_size=None, compression=None, ssl=tls) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"port {port}", flush=True)
        await stop
        server.close()
        await server.wait_closed()
    print("counts " + json.dumps(counts), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
