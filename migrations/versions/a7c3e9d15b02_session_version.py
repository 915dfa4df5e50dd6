"""Session versions: logging out (or a new password) ends every session of the account

Revision ID: a7c3e9d15b02
Revises: 6c3afc5927b4
Create Date: 2026-12-04 20:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d15b02'
down_revision = '6c3afc5927b4'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('staff_user', 'member'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
            )


def downgrade():
    for table in ('member', 'staff_user'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_version')
