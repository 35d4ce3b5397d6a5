"""Python `websockets` at a server's message limit, for wsgate's interop tests.

Usage: python3 message_limit_client.py ws://127.0.0.1:PORT/echo LIMIT_BYTES

Sends LIMIT_BYTES of random bytes (incompressible: compressed, they grow a little) to an echo
endpoint, once with permessage-deflate (websockets' defaults: memLevel 5) and once without, and
then LIMIT_BYTES + 1, which the server must refuse with 1009. Prints one JSON object on stdout;
any unexpected failure prints {"error": ...} and exits with status 1.
"""

import asyncio
import json
import os
import sys
import traceback

import websockets
import websockets.exceptions


async def probe(url, limit, compression):
    # The echo of the message at the limit comes back too: allow the client twice as much.
    async with websockets.connect(url, max_size=2 * limit, compression=compression) as ws:
        message = os.urandom(limit)
        await ws.send(message)
        answer = await asyncio.wait_for(ws.recv(), 60)
        at_limit = {"length": len(answer), "equal": answer == message}
        await ws.send(os.urandom(limit + 1))
        try:
            await asyncio.wait_for(ws.recv(), 60)
            over_limit = {"error": "the message over the limit was echoed"}
        except websockets.exceptions.ConnectionClosed:
            over_limit = {"code": ws.close_code, "reason": ws.close_reason}
        return {"at_limit": at_limit, "over_limit": over_limit}


async def main(url, limit):
    return {
        "websockets_version": websockets.__version__,
        "compressed": await probe(url, limit, "deflate"),
        "uncompressed": await probe(url, limit, None),
    }


if __name__ == "__main__":
    try:
        print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
    except Exception as error:  # report anything to the Node test, which fails with it
        print(json.dumps({"error": repr(error), "traceback": traceback.format_exc()}))
        sys.exit(1)
