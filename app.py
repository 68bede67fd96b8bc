"""The command-post dashboard: sign-in, navigation and language over the pages in ``pages/``.

Nothing is shown before sign-in. People sign in with a password; a wall
screen signs in by itself with the device token in its URL (``?device=…``),
which opens a ``wall`` account that can only view the overview. Which role
may use which page is in ``ui/navigation.py``.
"""

from __future__ import annotations

import streamlit as st

from data_layer import settings
from data_layer.users import ROLES
from ui.common import touch_friendly_inputs
from ui.live import live_redraw
from ui.navigation import account_box, land_on_home_page, menu, navigation
from ui.session import actor, language_switch, note_language, prepare_session, t
from ui.wall import hide_chrome_on_kiosk, kiosk_mode

note_language()
st.set_page_config(page_title=t("app.title"), page_icon="🛡️", layout="wide")
hide_chrome_on_kiosk()
try:
    settings.check_all()
except settings.SettingError as error:
    st.error(t("app.bad_setting", problem=str(error)))
    st.stop()

prepare_session()
role = actor().role
pages = navigation(role)
current_page = st.navigation(pages, position="hidden")
land_on_home_page(pages, current_page, role)
touch_friendly_inputs()
if not kiosk_mode():
    language_switch()
    if role in ROLES:
        account_box()
        menu(pages, role)
with live_redraw():
    current_page.run()
