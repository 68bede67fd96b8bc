"""Server memory of a wall screen: the RSS of a `streamlit run` process after 2,000 refreshes against after 100.

A real server (``streamlit run app.py`` over a copy of the sample store, clock frozen at the benchmarks' day)
and a client that speaks Streamlit's own websocket protocol, as the browser does: it opens a session on the
overview, then asks for the wall screen's fragment again and again, as the browser does every
``COMMAND_POST_REFRESH_SECONDS`` (an auto-rerun of that fragment), only without waiting between refreshes.
Every 20th refresh follows a new entry written meanwhile, so that the data version moves and the cached
reads are computed afresh, as they are on a command post's working day.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect as websocket_connect

from benchmarks.common import (
    BENCH_ADMIN,
    END,
    WALL_TOKEN,
    copy_sqlite,
    freeze_clock,
    line,
    rss_kib,
    sample_store,
    save,
    served_app,
    with_wall_token,
)
from data_layer import checkpoints
from data_layer.db import connect, perform

REFRESHES = int(os.environ.get("BENCH_REFRESHES", "2000"))
BASELINE = 100
WRITE_EVERY = 20
REFRESH_SECONDS = 2


class WallClient:
    """One browser tab on the overview, speaking BackMsg/ForwardMsg over the websocket."""

    def __init__(self, port: int):
        self.connection = websocket_connect(
            f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None, open_timeout=30
        )
        self.socket = self.connection.__enter__()
        self.fragment_id = ""
        self.page_hash = ""

    def run(self, fragment: bool) -> str:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = f"lang=zh&device={WALL_TOKEN}"
        state.page_script_hash = self.page_hash
        if fragment:
            state.fragment_id = self.fragment_id
            state.is_auto_rerun = True
        self.socket.send(message.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(self.socket.recv(timeout=300))
            kind = reply.WhichOneof("type")
            if kind == "auto_rerun" and reply.auto_rerun.interval == REFRESH_SECONDS:  # not the live check
                self.fragment_id = reply.auto_rerun.fragment_id
            elif kind == "new_session":
                self.page_hash = reply.new_session.page_script_hash or self.page_hash
            elif kind == "page_info_changed" or kind == "navigation":
                self.page_hash = getattr(reply.navigation, "page_script_hash", "") or self.page_hash
            elif kind == "script_finished":
                return ForwardMsg.ScriptFinishedStatus.Name(reply.script_finished)

    def close(self) -> None:
        self.connection.__exit__(None, None, None)


def main() -> None:
    freeze_clock()
    url = copy_sqlite(sample_store(), "memory")
    with_wall_token(url)
    engine = connect(url)
    with served_app(url, COMMAND_POST_REFRESH_SECONDS=str(REFRESH_SECONDS)) as (server, port):
        client = WallClient(port)
        first = client.run(fragment=False)
        if not client.fragment_id:
            raise RuntimeError("the overview asked for no auto-rerun: no refreshing fragment found")
        checkpoint = checkpoints.list_checkpoints(engine.connect())[0]["id"]
        slot = checkpoints.day_shifts(END - timedelta(days=40))[0][0]
        samples: dict[int, int] = {}
        statuses: dict[str, int] = {}
        started = time.perf_counter()
        for refresh in range(1, REFRESHES + 1):
            if refresh % WRITE_EVERY == 0:
                slot -= timedelta(hours=1)
                perform(
                    engine,
                    BENCH_ADMIN,
                    checkpoints.add_count,
                    {
                        "checkpoint": checkpoint,
                        "period_start": slot,
                        "period_end": slot + timedelta(hours=1),
                        "persons": refresh % 97,
                        "vehicles": 3,
                        "fever": 0,
                        "turned_back": 0,
                    },
                    token=uuid.uuid4().hex,
                )
            status = client.run(fragment=True)
            statuses[status] = statuses.get(status, 0) + 1
            if refresh in (BASELINE, REFRESHES) or refresh % 250 == 0:
                samples[refresh] = rss_kib(server.pid)
        elapsed = time.perf_counter() - started
        client.close()
    engine.dispose()
    result = {
        "refreshes": REFRESHES,
        "first_run": first,
        "statuses": statuses,
        "rss_mib": {str(key): round(value / 1024, 1) for key, value in samples.items()},
        "ratio": samples[REFRESHES] / samples[BASELINE],
        "seconds": elapsed,
        "refresh_ms": elapsed / REFRESHES * 1000,
    }
    save("memory", result)
    line(
        f"server memory (RSS of streamlit run): after {BASELINE} refreshes {samples[BASELINE] / 1024:.0f} MiB, "
        f"after {REFRESHES} {samples[REFRESHES] / 1024:.0f} MiB → {result['ratio']:.2f}× (target ≤ 1.2×); "
        f"{result['refresh_ms']:.0f} ms a refresh; runs: {statuses}"
    )


if __name__ == "__main__":
    main()
