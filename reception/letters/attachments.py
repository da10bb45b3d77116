"""Scanned pages of a letter, kept on disk by their SHA-256 under ATTACHMENTS_DIR.

The file is written and flushed to disk before the row that names it is committed, so
an acknowledged attachment survives a crash; a file whose row never committed is a
harmless orphan (the same content always lands at the same path)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlmodel import Session, col, select

from reception import audit
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, NotFound
from reception.letters.actions import EVERYONE_ON_LETTERS, letter_for
from reception.letters.models import Attachment, LetterStep
from reception.letters.rules import sniff_attachment
from reception.outcome import Outcome

MAX_PER_LETTER = 20


def _store(root: Path, digest: str, data: bytes) -> str:
    relative = Path(digest[:2]) / digest[2:4] / digest
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{digest}.{os.getpid()}.part")
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    return str(relative)


def clean_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "scan"
    return "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')[:120]


def add_attachment(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    filename: str,
    data: bytes,
    root: Path,
) -> Outcome[Attachment]:
    principal.require_role(*EVERYONE_ON_LETTERS)
    letter = letter_for(session, principal, letter_id)
    content_type = sniff_attachment(data[:16], len(data))
    digest = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(Attachment).where(Attachment.letter_id == letter.id, Attachment.sha256 == digest)
    ).first()
    if existing is not None:
        raise Conflict("same_file", N_("This file is already attached to the letter."))
    count = len(session.exec(select(Attachment.id).where(Attachment.letter_id == letter.id)).all())
    if count >= MAX_PER_LETTER:
        raise Conflict("too_many_files", N_("A letter has at most 20 attachments."))
    row = Attachment(
        letter_id=letter.id or 0,
        filename=clean_filename(filename),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        stored_as=_store(root, digest, data),
        added_by=principal.actor,
        added_at=clock.now(),
    )
    session.add(row)
    session.add(
        LetterStep(
            letter_id=letter.id or 0, actor=principal.actor, kind="attach", note=row.filename,
            at=clock.now(),
        )
    )  # fmt: skip
    session.flush()
    audit.record(session, principal.actor, "letter.attach", "letter", letter.id, file=row.id)
    return Outcome(row)


def attachments_of(session: Session, letter_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.letter_id == letter_id).order_by(col(Attachment.id))
        )
    )


def attachment_for(
    session: Session, principal: Principal, letter_id: int, attachment_id: int
) -> Attachment:
    letter_for(session, principal, letter_id)
    row = session.get(Attachment, attachment_id)
    if row is None or row.letter_id != letter_id:
        raise NotFound("unknown_attachment", N_("There is no such attachment."))
    return row


def store_file(root: Path, data: bytes) -> tuple[str, str]:
    """Keep `data` the way every attachment is kept: (its SHA-256, its path under
    `root`). A mobile unit's attachment is stored here on arrival with this."""
    digest = hashlib.sha256(data).hexdigest()
    return digest, _store(root, digest, data)
