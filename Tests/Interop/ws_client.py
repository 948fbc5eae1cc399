#!/usr/bin/env python3
"""A WebSocket client that is not Barrage's (PyPI `websockets`, sync API), for the tests of the target server's /ws
route and of WebSocketsPeer.

    ws_client.py URL [--messages N] [--size B] [--binary] [--fragments K] [--pipeline] [--greeting] [--ping]
                     [--close-code C] [--await-close] [--timeout S]

Connects to URL; reads a greeting first with --greeting; sends N messages of B bytes (text of letters and digits,
or every byte value with --binary; message i starts with its number so no two are equal), each split into K
fragments, and waits for each one's echo before the next (with --pipeline: sends all, then reads all); with --ping
sends a ping and waits for its pong; then closes with --close-code (1000 by default) unless the server closed first
(with --await-close it does not close but reads until the server closes, failing on any other message).
Prints one JSON object:

    {"status": 101, "greeting": "...", "sent": N, "echoed": E, "equal": Q, "in_order": true, "pong": true,
     "min_round_trip_ms": M, "close_code": C, "closed_by": "server"|"client", "error": null}

`status` is the handshake's HTTP status (`body` is added when it is not 101); `equal` counts echoes with the
payload and the type (text or binary) of the message they answer; `close_code` is the code of the close frame
received from the server (null when none). Exit status 0 whenever the JSON was printed.
"""
import argparse
import json
import sys
import time

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def payload(index, size, binary):
    head = f"{index}:".encode()
    if binary:
        body = bytes((index + k) % 256 for k in range(max(0, size - len(head))))
        return (head + body)[:size] if size >= len(head) else head
    letters = b"abcdefghijklmnopqrstuvwxyz0123456789"
    body = bytes(letters[(index + k) % len(letters)] for k in range(max(0, size - len(head))))
    return ((head + body)[:size] if size >= len(head) else head).decode()


def fragments(message, count):
    if count <= 1:
        return message
    step = max(1, -(-len(message) // count))
    return [message[k:k + step] for k in range(0, len(message), step)] or [message]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--binary", action="store_true")
    parser.add_argument("--fragments", type=int, default=1)
    parser.add_argument("--pipeline", action="store_true")
    parser.add_argument("--greeting", action="store_true")
    parser.add_argument("--ping", action="store_true")
    parser.add_argument("--close-code", type=int, default=1000)
    parser.add_argument("--await-close", action="store_true")
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()

    result = {"status": None, "greeting": None, "sent": 0, "echoed": 0, "equal": 0, "in_order": True,
              "pong": None, "min_round_trip_ms": None, "close_code": None, "closed_by": None, "error": None}
    try:
        ws = connect(args.url, open_timeout=args.timeout, close_timeout=args.timeout, max_size=None,
                     compression=None)
    except InvalidStatus as refused:
        result["status"] = refused.response.status_code
        result["body"] = bytes(refused.response.body or b"").decode(errors="replace")
        print(json.dumps(result))
        return
    result["status"] = 101
    messages = [payload(i, args.size, args.binary) for i in range(args.messages)]
    try:
        if args.greeting:
            result["greeting"] = ws.recv(timeout=args.timeout)
        sent_at = []
        answers = []
        if args.pipeline:
            for message in messages:
                sent_at.append(time.monotonic())
                ws.send(fragments(message, args.fragments))
                result["sent"] += 1
            for _ in messages:
                answers.append((ws.recv(timeout=args.timeout), time.monotonic()))
                result["echoed"] += 1
        else:
            for message in messages:
                sent_at.append(time.monotonic())
                ws.send(fragments(message, args.fragments))
                result["sent"] += 1
                answers.append((ws.recv(timeout=args.timeout), time.monotonic()))
                result["echoed"] += 1
        if args.ping:
            result["pong"] = ws.ping(b"barrage").wait(args.timeout)
        if args.await_close:
            unexpected = ws.recv(timeout=args.timeout)
            result["error"] = f"a message instead of the server's close: {unexpected!r}"[:200]
        ws.close(code=args.close_code)
        result["closed_by"] = "client"
    except ConnectionClosed:
        result["closed_by"] = "server"
    except TimeoutError as timeout:
        result["error"] = f"timeout: {timeout}"
        ws.close()
    finally:
        received = ws.protocol.close_rcvd
        result["close_code"] = received.code if received is not None else None
    for index, (answer, arrived) in enumerate(answers):
        if answer == messages[index] and type(answer) is type(messages[index]):
            result["equal"] += 1
        elif answer in messages:
            result["in_order"] = False
        round_trip = (arrived - sent_at[index]) * 1000
        if result["min_round_trip_ms"] is None or round_trip < result["min_round_trip_ms"]:
            result["min_round_trip_ms"] = round_trip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
