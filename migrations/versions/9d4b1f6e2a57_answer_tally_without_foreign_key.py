"""answer tally without a foreign key to the wave: one check per stored count was a third
of closing a wave of 100,000 respondents (336,497 counts)

Revision ID: 9d4b1f6e2a57
Revises: c4d2e8f1a7b3
Create Date: 2026-12-05 17:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9d4b1f6e2a57"
down_revision = "c4d2e8f1a7b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("answer_tally", schema=None) as batch_op:
        batch_op.drop_constraint("fk_answer_tally_wave_id_wave", type_="foreignkey")


def downgrade():
    # counts of a wave that no longer exists would stop the constraint: they are never read
    op.execute("DELETE FROM answer_tally WHERE wave_id NOT IN (SELECT id FROM wave)")
    with op.batch_alter_table("answer_tally", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_answer_tally_wave_id_wave", "wave", ["wave_id"], ["id"], ondelete="CASCADE"
        )
