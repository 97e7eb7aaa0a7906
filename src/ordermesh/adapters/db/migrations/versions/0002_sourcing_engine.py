"""sourcing engine: profiles, location capacity, location and SKU attributes for profiles

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('sourcing_profiles',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_profiles')),
    sa.UniqueConstraint('code', 'version', name='uq_sourcing_profiles_code_version')
    )
    op.create_table('location_capacity',
    sa.Column('location_id', ID, nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.CheckConstraint('used >= 0', name=op.f('ck_location_capacity_used_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_capacity_location_id_locations')),
    sa.PrimaryKeyConstraint('location_id', 'day', 'method', name=op.f('pk_location_capacity'))
    )
    with op.batch_alter_table('locations') as batch:
        batch.add_column(sa.Column('region', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('tags', JSON, server_default='[]', nullable=False))
        batch.add_column(sa.Column('priority', sa.Integer(), server_default='100', nullable=False))
    with op.batch_alter_table('channels') as batch:
        batch.add_column(sa.Column('sourcing_profile', sa.String(length=64), nullable=True))
    with op.batch_alter_table('skus') as batch:
        batch.add_column(sa.Column('tags', JSON, server_default='[]', nullable=False))
    with op.batch_alter_table('sourcing_decisions') as batch:
        batch.add_column(sa.Column('profile', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('profile_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sourcing_decisions') as batch:
        batch.drop_column('profile_version')
        batch.drop_column('profile')
    with op.batch_alter_table('skus') as batch:
        batch.drop_column('tags')
    with op.batch_alter_table('channels') as batch:
        batch.drop_column('sourcing_profile')
    with op.batch_alter_table('locations') as batch:
        batch.drop_column('priority')
        batch.drop_column('tags')
        batch.drop_column('region')
    op.drop_table('location_capacity')
    op.drop_table('sourcing_profiles')
