"""weighting: one per wave (method, attributes, bounds, diagnostics) and a weight per response

Revision ID: b8ca5c86a479
Revises: d906342e70dc
Create Date: 2026-11-23 13:32:31.412119

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8ca5c86a479"
down_revision = "d906342e70dc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "weighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("rake", "poststratify", name="weighting_method", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attribute_keys", sa.JSON(), nullable=False),
        sa.Column("bound_low", sa.Float(), nullable=True),
        sa.Column("bound_high", sa.Float(), nullable=True),
        sa.Column("population_table_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("converged", sa.Boolean(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("design_effect", sa.Float(), nullable=False),
        sa.Column("effective_n", sa.Float(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("min_weight", sa.Float(), nullable=False),
        sa.Column("max_weight", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "(bound_low IS NULL AND bound_high IS NULL) OR "
            "(bound_low >= 0 AND bound_low < 1 AND bound_high > 1)",
            name=op.f("ck_weighting_bounds"),
        ),
        sa.CheckConstraint("iterations >= 0", name=op.f("ck_weighting_iterations_not_negative")),
        sa.CheckConstraint("respondents > 0", name=op.f("ck_weighting_respondents_positive")),
        sa.ForeignKeyConstraint(
            ["population_table_id"],
            ["population_table.id"],
            name=op.f("fk_weighting_population_table_id_population_table"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_weighting_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weighting")),
        sa.UniqueConstraint("wave_id", name=op.f("uq_weighting_wave_id")),
    )
    op.create_table(
        "response_weight",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("weighting_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_response_weight_weight_positive")),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_response_weight_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["weighting_id"],
            ["weighting.id"],
            name=op.f("fk_response_weight_weighting_id_weighting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_response_weight")),
    )
    with op.batch_alter_table("response_weight", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_weight_weighting_id"), ["weighting_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("response_weight", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_weight_weighting_id"))

    op.drop_table("response_weight")
    op.drop_table("weighting")
