"""publication: a wave's results given back (public flag, "you said, we did"), the mails it
sent per member and round, and the quotes staff picked from free-text answers

Revision ID: 4ce4a77798b2
Revises: 4862d7ef9ed9
Create Date: 2026-11-23 14:11:29.881764

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4ce4a77798b2"
down_revision = "4862d7ef9ed9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("you_said_we_did", sa.JSON(), nullable=False),
        sa.Column("mail_round", sa.Integer(), nullable=False),
        sa.CheckConstraint("mail_round >= 1", name=op.f("ck_publication_mail_round_positive")),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_publication_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("wave_id", name=op.f("uq_publication_wave_id")),
    )
    op.create_table(
        "publication_mail",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_publication_mail_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publication.id"],
            name=op.f("fk_publication_mail_publication_id_publication"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "publication_id", "member_id", "round", name=op.f("pk_publication_mail")
        ),
    )
    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["answer.id"], name=op.f("fk_quote_answer_id_answer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_quote_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_quote_answer_id")),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_wave_id"), ["wave_id"], unique=False)


def downgrade():
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_wave_id"))

    op.drop_table("quote")
    op.drop_table("publication_mail")
    op.drop_table("publication")
