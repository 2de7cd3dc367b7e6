"""Run localstripe (a Stripe emulator, GPL: a development and test tool only) on loopback.

    python -m tests.localstripe_server PORT
        serve in the foreground (the test suite starts it this way);
    python -m tests.localstripe_server PORT --background --webhook URL --log FILE
        (what `make run` does) start it in the background unless it already answers,
        then register URL as its webhook endpoint, signed with the development secret.

localstripe's own entry point binds every interface; this binds 127.0.0.1 only. It also
adds a minimal Stripe Connect (tests/localstripe_connect.py), which localstripe lacks.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

import requests


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def serve(port: int) -> None:
    from aiohttp import web
    from localstripe.server import app

    from tests.localstripe_connect import add_routes

    add_routes(app)  # localstripe has no Stripe Connect: a minimal one for development
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def start_in_background(port: int, log_path: str) -> None:
    if _answers(port):
        return
    with open(log_path, "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "tests.localstripe_server", str(port)],
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives `make run`'s shell, like a service
        )
    deadline = time.monotonic() + 20
    while not _answers(port):
        if time.monotonic() > deadline:
            sys.exit(f"localstripe did not start on 127.0.0.1:{port}; see {log_path}")
        time.sleep(0.1)


def register_webhook(port: int, url: str) -> None:
    from marketplace.config import LOCALSTRIPE_WEBHOOK_SECRET

    requests.post(
        f"http://127.0.0.1:{port}/_config/webhooks/marketplace",
        data={"url": url, "secret": LOCALSTRIPE_WEBHOOK_SECRET},
        timeout=10,
    ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--background", action="store_true")
    parser.add_argument("--webhook", help="the app's /webhooks/stripe URL")
    parser.add_argument("--log", default="localstripe.log")
    args = parser.parse_args()
    if not args.background:
        serve(args.port)
        return
    start_in_background(args.port, args.log)
    if args.webhook:
        register_webhook(args.port, args.webhook)
    print(f"localstripe on http://127.0.0.1:{args.port}, webhooks to {args.webhook}")


if __name__ == "__main__":
    main()
