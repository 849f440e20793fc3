"""`python -m app`: serve GradLab on 127.0.0.1:8050 (override with --host/--port or HOST/PORT).

Werkzeug's development server, always with debug, the debugger, the reloader and every Dash
dev tool off (DASH_DEBUG, DASH_UI, FLASK_DEBUG, ... in the environment change nothing), and a
Server header that names no versions."""
import argparse
import os

from werkzeug.serving import WSGIRequestHandler

from app import DEV_TOOLS_OFF, dash_app


class QuietRequestHandler(WSGIRequestHandler):
    """Sends `Server: GradLab` instead of `Werkzeug/x.y.z Python/3.x.y`."""

    server_version = "GradLab"  # also the WSGI environ's SERVER_SOFTWARE
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve GradLab (development server, debug off).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8050")))
    args = parser.parse_args()
    # load_dotenv=False: Flask.run would otherwise let FLASK_DEBUG (or a .env file) turn debug on
    dash_app.run(host=args.host, port=args.port, **DEV_TOOLS_OFF, use_reloader=False,
                 use_debugger=False, load_dotenv=False, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
