"""A form's token keeps what its write returned, so that the same form sent twice is answered with that.

A double tap on a phone can start the second submission while the first is still storing; Streamlit then stops
the first run, and what it had stored could only be refused as a repeat ("already submitted") where the clerk
should read the first one's "saved" message. The token's row now holds the first write's result (JSON), which
the repeat is answered with. Tokens stored before have none and are answered as before.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    with op.batch_alter_table("submission_tokens") as table:
        table.add_column(sa.Column("result", sa.Text))
