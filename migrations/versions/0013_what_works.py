"""What works on the floor: a category's resolutions, read from one index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_org_category_resolved",
            [
                "org_id",
                "category",
                "first_resolved_at",
                "cancelled_at",
                "first_contact",
                "escalated_ever",
                "reopened_count",
                "id",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_org_category_resolved")
