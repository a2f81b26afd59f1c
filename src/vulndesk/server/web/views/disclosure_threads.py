"""A case thread in reading order: each reply under the message it answers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from vulndesk.server.disclosure.selectors import MessageView

#: replies deeper than this are shown at this depth (the page stays readable)
MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """A message and how deep it is in its thread (0: a new topic)."""

    view: MessageView
    depth: int

    @property
    def indent(self) -> int:
        """Return the depth the page indents the message by."""
        return min(self.depth, MAX_DEPTH)


def threaded(views: list[MessageView]) -> list[ThreadEntry]:
    """Return ``views`` (oldest first) in thread order: a message, then its replies (oldest
    first, each followed by its own replies), then the next topic. A reply whose parent is not
    in the list is shown as a topic."""
    present = {v.message.pk for v in views}
    replies: dict[int | None, list[MessageView]] = defaultdict(list)
    for view in views:
        parent = view.message.parent_id
        replies[parent if parent in present else None].append(view)
    ordered: list[ThreadEntry] = []
    stack = [(v, 0) for v in reversed(replies[None])]
    while stack:
        view, depth = stack.pop()
        ordered.append(ThreadEntry(view, depth))
        stack.extend((r, depth + 1) for r in reversed(replies[view.message.pk]))
    return ordered
