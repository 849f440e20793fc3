"""`python -m app`: serve GradLab on 127.0.0.1:8050 (override with --host/--port or HOST/PORT)."""
import argparse
import os

from app import dash_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve GradLab (development server, debug off).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8050")))
    args = parser.parse_args()
    dash_app.run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
