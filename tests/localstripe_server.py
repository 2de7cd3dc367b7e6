"""Run localstripe (a Stripe emulator, GPL: a development and test tool only) on loopback.

``python -m tests.localstripe_server PORT``. localstripe's own entry point binds every
interface; this binds 127.0.0.1 only.
"""

import sys

from aiohttp import web
from localstripe.server import app

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
