"""The bounce mark moves from the contact row to the member, so the sampling frame needs no join

Revision ID: 7a1e5b0c9d21
Revises: 4bc6b3a29f1f
Create Date: 2026-11-23 16:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1e5b0c9d21'
down_revision = '4bc6b3a29f1f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_bounced_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE member SET email_bounced_at = (SELECT c.email_bounced_at FROM member_contact c"
        " WHERE c.member_id = member.id)"
    )
    with op.batch_alter_table('member_contact', schema=None) as batch_op:
        batch_op.drop_column('email_bounced_at')


def downgrade():
    with op.batch_alter_table('member_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_bounced_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE member_contact SET email_bounced_at = (SELECT m.email_bounced_at FROM member m"
        " WHERE m.id = member_contact.member_id)"
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('email_bounced_at')
