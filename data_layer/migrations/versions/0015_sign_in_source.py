"""Failed sign-ins record the address they came from and no longer keep a name that matches no account.

Five failures lock an account for the address that made them, not for
everyone, so the source is stored with each failure. The typed name of a
failure against no account may be a password typed into the wrong field:
it is cleared, in the failure rows and their audit rows alike, and no longer
stored from now on.

Revision ID: 0015
Revises: 0014
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"

CLEARED_AFTER = json.dumps({"username": None})

users = sa.table("users", sa.column("username", sa.String))
failures = sa.table("sign_in_failures", sa.column("id", sa.Integer), sa.column("username", sa.String))
audit_log = sa.table(
    "audit_log", sa.column("table_name", sa.String), sa.column("row_id", sa.String), sa.column("after", sa.Text)
)


def upgrade() -> None:
    with op.batch_alter_table("sign_in_failures") as table:
        table.alter_column("username", existing_type=sa.String(100), nullable=True)
        table.add_column(sa.Column("source", sa.String(45)))
    matches_no_account = ~sa.exists().where(users.c.username == failures.c.username)
    op.execute(failures.update().where(matches_no_account).values(username=None))
    cleared = sa.select(sa.cast(failures.c.id, sa.String)).where(failures.c.username.is_(None))
    op.execute(
        audit_log.update()
        .where(audit_log.c.table_name == "sign_in_failures", audit_log.c.row_id.in_(cleared))
        .values(after=CLEARED_AFTER)
    )
