"""focus groups and task committees: the group, its candidates, the record of its draw

Revision ID: 6c3afc5927b4
Revises: 5e1d7c2a9b40
Create Date: 2026-12-04 20:19:28.980160

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c3afc5927b4"
down_revision = "5e1d7c2a9b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "focus_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("focus_group", "task_committee", name="group_kind"), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("influence", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("quotas", sa.JSON(), nullable=False),
        sa.Column(
            "state", sa.Enum("draft", "pool", "drawn", "closed", name="group_state"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_focus_group_created_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focus_group")),
    )
    op.create_table(
        "group_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "accepted",
                "declined",
                "selected",
                "alternate",
                "dropped_out",
                name="candidate_status",
            ),
            nullable=False,
        ),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("household", sa.String(length=64), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("selected_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["focus_group.id"],
            name=op.f("fk_group_candidate_group_id_focus_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_group_candidate_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_candidate")),
        sa.UniqueConstraint("group_id", "member_id", name="one_candidacy_per_group"),
    )
    with op.batch_alter_table("group_candidate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_candidate_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_group_candidate_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "group_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("min_probability", sa.Float(), nullable=False),
        sa.Column("upper_bound", sa.Float(), nullable=False),
        sa.Column("leximin_complete", sa.Boolean(), nullable=False),
        sa.Column("pool", sa.JSON(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("panels", sa.JSON(), nullable=False),
        sa.Column("selected", sa.JSON(), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"],
            ["staff_user.id"],
            name=op.f("fk_group_draw_drawn_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["focus_group.id"],
            name=op.f("fk_group_draw_group_id_focus_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_draw")),
        sa.UniqueConstraint("group_id", name=op.f("uq_group_draw_group_id")),
    )


def downgrade():
    op.drop_table("group_draw")
    with op.batch_alter_table("group_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_candidate_member_id"))
        batch_op.drop_index(batch_op.f("ix_group_candidate_group_id"))

    op.drop_table("group_candidate")
    op.drop_table("focus_group")
    for name in ("candidate_status", "group_state", "group_kind"):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
