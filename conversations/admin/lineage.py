"""A session's versions on its review page: the session it was forked from and
where, its own forks, and every other version of the chat.

All of it comes from one query, the family's (`family_of`): a fork's parent and
its forks are of the same family and owner, so the page needs no query per
version however many there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.admin.timeline import session_url
from conversations.engine.forks import family_of
from conversations.models import ChatSession


@dataclass(frozen=True)
class Version:
    """One session of a family as the page lists it, with the session it was
    forked from when that still exists. Versions are numbered oldest first, as
    forks usually keep their parent's title and the number tells them apart."""

    session: ChatSession
    parent: ChatSession | None = None
    number: int | None = None
    parent_number: int | None = None

    @property
    def url(self) -> str:
        return session_url(self.session.pk)

    @property
    def is_fork(self) -> bool:
        """A fork keeps its fork point when its parent is deleted (the parent
        link is then null), so `forked_at` says what a session is."""
        return self.session.forked_at is not None

    @property
    def forked_at(self) -> int | None:
        return self.session.forked_at

    @property
    def parent_url(self) -> str | None:
        return None if self.parent is None else session_url(self.parent.pk)

    @property
    def fork_point_url(self) -> str | None:
        """The parent's timeline at the last event the fork copied."""
        if self.parent is None or not self.forked_at:
            return self.parent_url
        return session_url(self.parent.pk, self.forked_at)


@dataclass(frozen=True)
class Lineage:
    """The versions section of a session's page."""

    current: Version
    forks: list[Version]
    family: list[Version]  # every version of the chat, oldest first, this one too

    @classmethod
    def load(cls, session: ChatSession) -> Lineage:
        members = family_of(session)
        by_id = {member.pk: member for member in members}
        parent = by_id.get(session.parent_id)
        if parent is None and session.parent_id is not None:
            # Not reachable through the engine (a fork has its parent's owner
            # and family), but the page must not call a live parent deleted.
            parent = ChatSession.objects.filter(pk=session.parent_id).first()
        forks = sorted(
            (m for m in members if m.parent_id == session.pk),
            key=lambda m: (m.forked_at, m.created_at, str(m.pk)),
        )
        numbers = {member.pk: n for n, member in enumerate(members, start=1)}

        def version(member: ChatSession, parent: ChatSession | None) -> Version:
            parent_number = None if parent is None else numbers.get(parent.pk)
            return Version(member, parent, numbers.get(member.pk), parent_number)

        return cls(
            current=version(session, parent),
            forks=[version(fork, session) for fork in forks],
            family=[version(m, by_id.get(m.parent_id)) for m in members],
        )
