"""Follow-ups of low scores and "please contact me", and the recovery re-survey

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=False),
        sa.Column("contact_requested", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("remind_at", UTCDateTime(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_follow_up_state")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('called', 'visited', 'remedy', 'unreached')",
            name=op.f("ck_follow_up_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_follow_up_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["member.id"], name=op.f("fk_follow_up_closed_by_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_follow_up_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_follow_up_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_follow_up_team_id_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_follow_up_survey_id")),
    )
    op.create_index(op.f("ix_follow_up_case_id"), "follow_up", ["case_id"])
    op.create_index("ix_follow_up_org_opened", "follow_up", ["org_id", "opened_at"])
    op.create_index("ix_follow_up_due", "follow_up", ["state", "remind_at"])
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("follow_up_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_survey_follow_up_id"), ["follow_up_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_follow_up_id_follow_up"),
            "follow_up",
            ["follow_up_id"],
            ["id"],
            ondelete="CASCADE",
            use_alter=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_survey_follow_up_id_follow_up"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_survey_follow_up_id"))
        batch_op.drop_column("follow_up_id")
        batch_op.drop_column("contact_requested")
    op.drop_index("ix_follow_up_due", table_name="follow_up")
    op.drop_index("ix_follow_up_org_opened", table_name="follow_up")
    op.drop_index(op.f("ix_follow_up_case_id"), table_name="follow_up")
    op.drop_table("follow_up")
