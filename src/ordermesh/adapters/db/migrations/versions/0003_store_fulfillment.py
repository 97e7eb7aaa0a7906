"""store fulfillment: due time, acceptance deadline and pickup expiry on fulfillment orders

Fulfillment orders made before this revision are due when they were created (they show first on the
pick list) and have no acceptance deadline, so upgrading never sends existing work elsewhere at once.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# SQLite adds a NOT NULL column only with a constant default; every row gets its real value just below.
_PLACEHOLDER = sa.text("'1970-01-01 00:00:00'")


def upgrade() -> None:
    with op.batch_alter_table('fulfillment_orders') as batch:
        batch.add_column(sa.Column('due_at', sa.DateTime(timezone=True), server_default=_PLACEHOLDER, nullable=False))
        batch.add_column(sa.Column('accept_by', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('pickup_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_fulfillment_orders_status_accept_by', ['status', 'accept_by'], unique=False)
        batch.create_index('ix_fulfillment_orders_status_pickup_expires_at', ['status', 'pickup_expires_at'],
                           unique=False)
    op.execute("UPDATE fulfillment_orders SET due_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('fulfillment_orders') as batch:
        batch.drop_index('ix_fulfillment_orders_status_pickup_expires_at')
        batch.drop_index('ix_fulfillment_orders_status_accept_by')
        batch.drop_column('pickup_expires_at')
        batch.drop_column('accept_by')
        batch.drop_column('due_at')
