"""A Streamlit session at the protocol level: what a browser tab says over ``/_stcore/stream``, without a browser.

A browser tab opens a websocket to ``ws://host:port/_stcore/stream`` (subprotocol ``streamlit``) and sends
``BackMsg`` protos; the server answers with ``ForwardMsg`` protos: the elements a script run draws (``delta``),
the app's pages (``navigation``), a fragment to run again every so often (``auto_rerun``) and, at the end of a
run, ``script_finished``. The streamlit of requirements.txt serves through Starlette and uvicorn (no tornado):
every message is one binary websocket frame holding one serialized proto, and the client here speaks it with
the ``websockets`` package that streamlit brings.

- A run is a ``rerun_script`` (``ClientState``): the query string, the page (``page_name``: an ``st.Page``'s
  ``url_path``, which is how a browser addresses an ``st.navigation`` page by its address), and the values of
  the widgets (``WidgetStates``). :meth:`Session.run` sends one and waits for its ``script_finished``.
- A widget is found by its label in the deltas (:meth:`Session.widget`); the element proto carries the widget's
  ``id``, which a later run's ``WidgetState`` names. A form's submit button is a trigger.
- A fragment that asks to run every so often (``auto_rerun``: the data-version check of a live page, the wall's
  refresh) is run again at that interval by :meth:`Session.follow`, as the browser's timer does.
- Signing in: the app remembers a signed-in person by the cookie ``ui.session.SESSION_COOKIE`` (a token whose
  hash ``data_layer.users.open_session`` stores); a session passes it in the websocket handshake, as the
  browser does. A wall signs in by its device token in the query string.

What a run drew is kept in :class:`Run`: the exceptions (an ``exception`` element), the alerts by kind (an error
alert is a refusal) and how long the run took from the message sent to ``script_finished``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

SESSION_COOKIE = "command_post_session"
"""The name of the app's session cookie (``ui.session.SESSION_COOKIE``: the benchmarks import no ``ui``)."""
FINISHED = {
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR,
}
"""The ends of a run. ``FINISHED_EARLY_FOR_RERUN`` is not one: the run goes on as the rerun it asked for (a
live page's check that found new data reruns the whole app)."""
NOT_SENT = "NOT SENT"
"""The status of a fragment's run not asked for: the page no longer has the fragment (a browser drops its timer
when the page changes), and the server would drop the request without an answer."""
WIDGET_VALUES = {bool: "bool_value", int: "int_value", float: "double_value", str: "string_value"}


class Disconnected(Exception):
    """The session's websocket is closed: a run cannot be sent."""


@dataclass
class Run:
    """What one script run drew and how long it took (the message sent to its ``script_finished``)."""

    seconds: float = 0.0
    status: str = ""
    scripts: int = 0
    """The script runs it took: two when the script reran itself (``st.rerun``) before it ended."""
    exceptions: list[str] = field(default_factory=list)
    alerts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def refusals(self) -> list[str]:
        """The error alerts it showed: a refused write names its field in one."""
        return self.alerts.get("ERROR", [])

    @property
    def successes(self) -> list[str]:
        return self.alerts.get("SUCCESS", [])


class Session:
    """One browser tab of the app over one websocket, at ``query_string``, signed in by ``cookie`` (a session
    token) if given."""

    def __init__(
        self,
        port: int,
        query_string: str = "",
        cookie: str | None = None,
        host: str = "127.0.0.1",
        timeout: float = 300,
    ):
        self.address = f"ws://{host}:{port}/_stcore/stream"
        self.query_string = query_string
        self.cookie = cookie
        self.timeout = timeout
        """How long a run may take before it counts as never ending (:class:`TimeoutError`)."""
        self.connection: ClientConnection | None = None
        self.widgets: dict[str, tuple[str, str]] = {}
        """Each widget the last full run drew: its label → (its id, its element kind)."""
        self.fragments: dict[str, float] = {}
        """Fragments that asked to run again: their id → the interval in seconds."""
        self.page = ""
        self.current: Run | None = None
        self.finished: asyncio.Queue[Run] = asyncio.Queue()
        self.lock = asyncio.Lock()
        self.reader: asyncio.Task | None = None
        self.closed = False
        self.trace: deque[str] = deque(maxlen=16)
        """The last messages sent and received, by kind: what a run that never ended was waiting after."""

    async def open(self) -> None:
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}"} if self.cookie else None
        self.connection = await connect(
            self.address, subprotocols=["streamlit"], additional_headers=headers, max_size=None, open_timeout=120
        )
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self.closed = True
        if self.connection is not None:
            await self.connection.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    async def run(
        self,
        page: str | None = None,
        widgets: dict[str, object] | None = None,
        trigger: str | None = None,
        fragment: str = "",
    ) -> Run:
        """Run the app again, as the browser does when a widget changes, and wait until the run finished.

        ``page``: the page's ``url_path`` (None: stay on the page); ``widgets``: values by label, of widgets the
        last run drew; ``trigger``: the label of a button (or a form's submit button) pressed; ``fragment``: run
        only that fragment (an ``auto_rerun``)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        if page is not None:
            self.page = page
        state.page_name = self.page
        for label, value in (widgets or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget(label)
            setattr(widget, WIDGET_VALUES[type(value)], value)
        if trigger is not None:
            state.widget_states.widgets.append(WidgetState(id=self.widget(trigger), trigger_value=True))
        if fragment:
            state.fragment_id = fragment
            state.is_auto_rerun = True
        async with self.lock:
            if self.connection is None or self.closed:
                raise Disconnected(self.address)
            if fragment and fragment not in self.fragments:
                return Run(status=NOT_SENT)  # a run meanwhile drew a page without it: the server would ignore it
            if not fragment:  # a full run draws the page's widgets and asks for its fragments' runs again
                self.widgets, self.fragments = {}, {}
            self.current = Run()
            started = time.perf_counter()
            self.trace.append(f"sent {'fragment ' + fragment[:6] if fragment else 'run ' + self.page}")
            await self.connection.send(message.SerializeToString())
            try:
                finished = await asyncio.wait_for(self.finished.get(), self.timeout)
            except TimeoutError:
                raise TimeoutError(f"no end of the run in {self.timeout:g} s after: {', '.join(self.trace)}") from None
            finished.seconds = time.perf_counter() - started
            return finished

    def widget(self, label: str) -> str:
        """The id of the widget labelled ``label`` in the last full run."""
        try:
            return self.widgets[label][0]
        except KeyError:
            raise KeyError(f"no widget {label!r} drawn; drawn: {sorted(self.widgets)}") from None

    async def follow(self, on_run: Callable[[str, Run], None] | None = None) -> None:
        """Run every fragment that asked for it at its interval, as the browser's timers do, until the session
        closes; ``on_run(fragment, run)`` is told of each run."""
        due: dict[str, float] = {}
        while not self.closed:
            now = time.monotonic()
            for fragment, interval in list(self.fragments.items()):
                due.setdefault(fragment, now + interval)
                if now >= due[fragment]:
                    try:
                        result = await self.run(fragment=fragment)
                    except Disconnected:
                        return
                    if result.status == NOT_SENT:
                        due.pop(fragment)
                        continue
                    if on_run is not None:
                        on_run(fragment, result)
                    due[fragment] = time.monotonic() + interval
            await asyncio.sleep(0.05)

    async def _read(self) -> None:
        assert self.connection is not None
        ending = "DISCONNECTED"
        try:
            async for frame in self.connection:
                message = ForwardMsg()
                message.ParseFromString(frame if isinstance(frame, bytes) else frame.encode())
                self._note(message)
        except ConnectionClosed:
            pass
        except Exception as problem:  # a message this client cannot read: the run it belongs to ends with it
            ending = f"CLIENT ERROR {type(problem).__name__}: {problem}"
        finally:
            self.closed = True
            if self.current is not None:
                self.current.status = ending
                self.finished.put_nowait(self.current)

    def _note(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind in ("new_session", "script_finished", "auto_rerun", "stop_auto_rerun", "page_not_found"):
            detail = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished) if kind == "script_finished" else ""
            self.trace.append(f"{kind} {message.metadata.run.script_run_id[:6]} {detail}".strip())
        run = self.current if self.current is not None else Run()
        if kind == "new_session":
            run.scripts += 1
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._note_element(message.delta.new_element, run)
        elif kind == "auto_rerun":
            self.fragments[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fragment, None)
        elif kind == "script_finished" and message.script_finished in FINISHED and self.current is not None:
            run.status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
            self.current = None
            self.finished.put_nowait(run)

    def _note_element(self, element, run: Run) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert":
            run.alerts.setdefault(Alert.Format.Name(element.alert.format), []).append(element.alert.body)
        elif kind is not None:
            proto = getattr(element, kind)
            label, widget_id = getattr(proto, "label", ""), getattr(proto, "id", "")
            if label and widget_id:
                self.widgets[label] = (widget_id, kind)
