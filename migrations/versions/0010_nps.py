"""The survey's "How likely are you to recommend us?" 0–10 (NPS)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nps", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_survey_nps"), "nps IS NULL OR (nps BETWEEN 0 AND 10)"
        )


def downgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_survey_nps"), type_="check")
        batch_op.drop_column("nps")
