"""Weekly digests sent once per person and week; indexes for the weekly metrics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 13:26:19.662563
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_digest_delivery_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_digest_delivery_org_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_delivery")),
        sa.UniqueConstraint("member_id", "week", name=op.f("uq_digest_delivery_member_id_week")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_org_resolved",
            ["org_id", "first_resolved_at", "created_at", "cancelled_at"],
            unique=False,
        )

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_org_voided",
            ["org_id"],
            unique=False,
            sqlite_where=sa.text("cancelled_at IS NOT NULL"),
            postgresql_where=sa.text("cancelled_at IS NOT NULL"),
        )

    with op.batch_alter_table("spend", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_org_created")
        batch_op.create_index(
            "ix_spend_org_created",
            ["org_id", "created_at", "team_id", "remedy", "amount_minor"],
            unique=False,
        )

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index("ix_escalation_org_created", ["org_id", "created_at"], unique=False)
        batch_op.create_index("ix_escalation_org_decided", ["org_id", "decided_at"], unique=False)

    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index("ix_survey_org_answered", ["org_id", "answered_at"], unique=False)
        batch_op.create_index("ix_survey_org_created", ["org_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spend", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_org_created")
        batch_op.create_index("ix_spend_org_created", ["org_id", "created_at"], unique=False)

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_org_voided")

    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_org_created")
        batch_op.drop_index("ix_survey_org_answered")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_org_decided")
        batch_op.drop_index("ix_escalation_org_created")

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_org_resolved")

    op.drop_table("digest_delivery")
