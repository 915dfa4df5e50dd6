"""answer tally: a closed wave's answers counted once per (question, attributes, answer)

Revision ID: 5e1d7c2a9b40
Revises: 7a1e5b0c9d21
Create Date: 2026-11-23 16:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1d7c2a9b40"
down_revision = "7a1e5b0c9d21"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wave_tally",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("tallied_at", sa.DateTime(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.CheckConstraint("respondents >= 0", name=op.f("ck_wave_tally_respondents_not_negative")),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_wave_tally_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_wave_tally")),
    )
    op.create_table(
        "answer_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=80), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count > 0", name=op.f("ck_answer_tally_count_positive")),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["wave.id"],
            name=op.f("fk_answer_tally_wave_id_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_tally")),
    )
    with op.batch_alter_table("answer_tally", schema=None) as batch_op:
        batch_op.create_index(
            "ix_answer_tally_wave_question", ["wave_id", "question_key"], unique=False
        )


def downgrade():
    with op.batch_alter_table("answer_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_tally_wave_question")
    op.drop_table("answer_tally")
    op.drop_table("wave_tally")
