"""Weightings that start from design weights (eligible over respondents per stratum)

Revision ID: c4d2e8f1a7b3
Revises: f3633f997569
Create Date: 2026-12-04 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d2e8f1a7b3'
down_revision = 'f3633f997569'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weighting', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('design_weighted', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('weighting', schema=None) as batch_op:
        batch_op.drop_column('design_weighted')
