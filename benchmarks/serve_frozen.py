"""`streamlit run app.py` with the command post's clock frozen at the benchmarks' day (see common.py).

    .venv/bin/python -m benchmarks.serve_frozen --server.port 8765 --server.headless true

Streamlit runs the app's scripts inside this process, so the frozen clock holds for every page.
"""

from __future__ import annotations

import sys

from benchmarks.common import ROOT, freeze_clock


def main() -> None:
    freeze_clock()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
