"""letters categories departments and routing

Revision ID: 377b2f4edcc3
Revises: 1c7fff805fda
Create Date: 2026-11-23 13:45:28.217689

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reception.columns

revision: str = '377b2f4edcc3'
down_revision: str | None = '1c7fff805fda'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name_ar', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('sla_hours', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['category.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_slug'), ['slug'], unique=True)

    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name_ar', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_slug'), ['slug'], unique=True)

    op.create_table('lettersequence',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('routingrule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('residency', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('routingrule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routingrule_category_id'), ['category_id'], unique=False)

    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('tracking_token', sa.String(length=64), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('sender_name', sa.String(length=160), nullable=False),
    sa.Column('sender_id_number', sa.String(length=10), nullable=False),
    sa.Column('residency', sa.String(length=16), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('received_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_since', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], ),
    sa.ForeignKeyConstraint(['merged_into_id'], ['letter.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_letter_desk', ['status', 'department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_reference'), ['reference'], unique=True)
        batch_op.create_index('ix_letter_sender', ['sender_id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_tracking_token'), ['tracking_token'], unique=True)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_as', sa.String(length=200), nullable=False),
    sa.Column('added_by', sa.String(length=40), nullable=False),
    sa.Column('added_at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('letter_id', 'sha256')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_letter_id'), ['letter_id'], unique=False)

    op.create_table('letterstep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('at', reception.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('letterstep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letterstep_letter_id'), ['letter_id'], unique=False)

    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_apitoken_department_id', 'department', ['department_id'], ['id'])

    with op.batch_alter_table('staffuser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_staffuser_department_id', 'department', ['department_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('staffuser', schema=None) as batch_op:
        batch_op.drop_constraint('fk_staffuser_department_id', type_='foreignkey')
        batch_op.drop_column('department_id')

    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_constraint('fk_apitoken_department_id', type_='foreignkey')
        batch_op.drop_column('department_id')

    with op.batch_alter_table('letterstep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letterstep_letter_id'))

    op.drop_table('letterstep')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_letter_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_tracking_token'))
        batch_op.drop_index(batch_op.f('ix_letter_status'))
        batch_op.drop_index('ix_letter_sender')
        batch_op.drop_index(batch_op.f('ix_letter_reference'))
        batch_op.drop_index('ix_letter_desk')
        batch_op.drop_index(batch_op.f('ix_letter_branch_id'))

    op.drop_table('letter')
    with op.batch_alter_table('routingrule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routingrule_category_id'))

    op.drop_table('routingrule')
    op.drop_table('lettersequence')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_slug'))

    op.drop_table('department')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_slug'))

    op.drop_table('category')
