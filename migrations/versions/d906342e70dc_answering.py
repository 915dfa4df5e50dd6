"""answering: responses per invitation, modes, resume; public links; shown option order

Revision ID: d906342e70dc
Revises: 1fea4e02d3bf
Create Date: 2026-11-23 13:21:41.312017

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d906342e70dc"
down_revision = "1fea4e02d3bf"
branch_labels = None
depends_on = None

response_mode = sa.Enum("web", "public", "paper", "phone", name="response_mode")


def upgrade():
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown_order", sa.JSON(), nullable=True))

    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_token", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_questionnaire_public_token"), ["public_token"]
        )

    response_mode.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wave_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        # server defaults only fill the rows already there; the model supplies new values
        batch_op.add_column(sa.Column("mode", response_mode, nullable=False, server_default="web"))
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=20), nullable=False, server_default="da")
        )
        batch_op.add_column(
            sa.Column("current_page", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("entered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.now())
        )
        batch_op.create_index(batch_op.f("ix_response_wave_id"), ["wave_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_response_invitation_id"), ["invitation_id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_response_token_hash"), ["token_hash"])
        batch_op.create_foreign_key(
            batch_op.f("fk_response_wave_id_wave"), "wave", ["wave_id"], ["id"],
            ondelete="RESTRICT",
        )  # fmt: skip
        batch_op.create_foreign_key(
            batch_op.f("fk_response_invitation_id_invitation"), "invitation",
            ["invitation_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_foreign_key(
            batch_op.f("fk_response_entered_by_id_staff_user"), "staff_user",
            ["entered_by_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_check_constraint(
            batch_op.f("ck_response_current_page_not_negative"), "current_page >= 0"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_response_public_not_invited"),
            "mode <> 'public' OR (invitation_id IS NULL AND wave_id IS NULL)",
        )
    with op.batch_alter_table("response", schema=None) as batch_op:
        for column in ("mode", "language", "current_page", "updated_at"):
            batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_response_public_not_invited"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_response_current_page_not_negative"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_response_entered_by_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_response_invitation_id_invitation"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_response_wave_id_wave"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_response_token_hash"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_response_invitation_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_response_wave_id"))
        for column in (
            "updated_at", "entered_by_id", "current_page", "language", "token_hash", "mode",
            "invitation_id", "wave_id",
        ):  # fmt: skip
            batch_op.drop_column(column)
    response_mode.drop(op.get_bind(), checkfirst=True)

    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_questionnaire_public_token"), type_="unique")
        batch_op.drop_column("public_token")

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("shown_order")
