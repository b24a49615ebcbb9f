"""a delivering job's `audio_path` is the file to deliver as its body, and nothing else

Transcription jobs used to keep the path of their (deleted) upload after transcribing; the worker now
delivers any job's `audio_path` as its body, so those stale paths are cleared.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE jobs SET audio_path = NULL "
        "WHERE status IN ('delivering', 'done', 'failed') AND (path IS NULL OR path != '/v1/speak')"
    )


def downgrade() -> None:
    pass  # the cleared paths named deleted files
