"""money, payments, order changes, returns, customers and notifications

Orders and lines gain their discount, shipping and tax (zero for orders placed before this revision, which
is what they had), the matched customer profile and the tracking page's token (drawn here for orders placed
before); new tables hold payments, numbered order changes, returns, customer profiles and the notification log.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cursors',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=60), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cursors'))
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('merged_into', sa.String(length=32), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into'], ['customers.id'], name=op.f('fk_customers_merged_into_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_phone'), ['phone'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('order_id', sa.String(length=32), nullable=True),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('template', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('event_id', 'template', name='uq_messages_event_id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_order', ['order_id', 'id'], unique=False)

    op.create_table('customer_keys',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_keys_customer_id_customers')),
    sa.PrimaryKeyConstraint('kind', 'value', name=op.f('pk_customer_keys'))
    )
    with op.batch_alter_table('customer_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_keys_customer_id'), ['customer_id'], unique=False)

    op.create_table('order_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_changes_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_changes')),
    sa.UniqueConstraint('order_id', 'number', name='uq_order_changes_order_number')
    )
    op.create_table('payments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_key', sa.String(length=120), nullable=False),
    sa.Column('provider_ref', sa.String(length=120), nullable=True),
    sa.Column('authorization_id', sa.String(length=32), nullable=True),
    sa.Column('fulfillment_order_id', sa.String(length=32), nullable=True),
    sa.Column('return_id', sa.String(length=32), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_payments_amount_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('provider_key', name=op.f('uq_payments_provider_key'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_order', ['order_id', 'created_at'], unique=False)
        batch_op.create_index('ix_payments_status', ['status', 'id'], unique=False)

    op.create_table('returns',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('exchange', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('exchange_order_id', sa.String(length=32), nullable=True),
    sa.Column('restocking_fee_minor', sa.BigInteger(), nullable=False),
    sa.Column('refunded_minor', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_returns_channel_id_channels')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_returns_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_returns_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returns'))
    )
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.create_index('ix_returns_order', ['order_id'], unique=False)
        batch_op.create_index('ix_returns_status', ['status', 'id'], unique=False)

    op.create_table('return_lines',
    sa.Column('return_id', sa.String(length=32), nullable=False),
    sa.Column('order_line_id', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('restocked', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.Column('returned_to_vendor', sa.Integer(), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.CheckConstraint('received <= quantity', name=op.f('ck_return_lines_received_at_most_requested')),
    sa.CheckConstraint('restocked + damaged + returned_to_vendor = received', name=op.f('ck_return_lines_dispositions_add_up')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_return_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_lines_return_id_returns')),
    sa.PrimaryKeyConstraint('return_id', 'order_line_id', name=op.f('pk_return_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('shipping_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('returned', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_order_lines_returned_at_most_fulfilled'), 'returned <= fulfilled')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('shipping_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('customer_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('payment', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('billing', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('tracking_token', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_orders_tracking_token'), ['tracking_token'])

    # Every order gets its tracking page, the ones placed before this revision too.
    conn = op.get_bind()
    orders = sa.table('orders', sa.column('id', sa.String), sa.column('tracking_token', sa.String))
    for (order_id,) in conn.execute(sa.select(orders.c.id).where(orders.c.tracking_token.is_(None))).all():
        conn.execute(sa.update(orders).where(orders.c.id == order_id)
                     .values(tracking_token=secrets.token_urlsafe(24)))



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_orders_tracking_token'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_orders_customer_id'))
        batch_op.drop_column('tracking_token')
        batch_op.drop_column('billing')
        batch_op.drop_column('payment')
        batch_op.drop_column('customer_id')
        batch_op.drop_column('tax_minor')
        batch_op.drop_column('shipping_minor')
        batch_op.drop_column('discount_minor')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_lines_returned_at_most_fulfilled'), type_='check')
        batch_op.drop_column('returned')
        batch_op.drop_column('tax_minor')
        batch_op.drop_column('shipping_minor')
        batch_op.drop_column('discount_minor')

    op.drop_table('return_lines')
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_status')
        batch_op.drop_index('ix_returns_order')

    op.drop_table('returns')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status')
        batch_op.drop_index('ix_payments_order')

    op.drop_table('payments')
    op.drop_table('order_changes')
    with op.batch_alter_table('customer_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_keys_customer_id'))

    op.drop_table('customer_keys')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_order')
        batch_op.drop_index('ix_messages_customer')

    op.drop_table('messages')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone'))
        batch_op.drop_index(batch_op.f('ix_customers_email'))

    op.drop_table('customers')
    op.drop_table('cursors')
