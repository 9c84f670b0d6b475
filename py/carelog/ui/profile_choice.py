"""The profile-choice part of the controller (``#/profile/choose``), pure of the DOM.

Two versions of the person's profile (two devices each made one, or two
caregivers changed it at the same time) wait for a caregiver: "Keep this one"
(``profile-keep``, ``data-id`` = ``<version index>:<versions token>``) or the
field-by-field form (``profile-merge``: ``use.<field>`` = a version index for
each field that differs). Either saves one profile revising every head and
retires the duplicate entry, in one batch, with Undo (the versions come back).
A whole session of it runs in ``tests/unit/test_profile_merge.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.profile import MERGE_FIELDS, differing_fields
from ..domain.validation import FormErrors
from .state import Toast

if TYPE_CHECKING:
    from .controller import Controller

ROUTE = "#/profile/choose"
FORM = "profile-merge"


class ProfileChoiceScreen:
    """Loads the versions into ``state.care.profile_versions``; saves the choice."""

    def __init__(self, controller: "Controller"):
        self.c = controller

    async def navigate(self, parts: list[str]) -> bool:
        s = self.c.state
        if parts[:2] != ["profile", "choose"] or s.recipient is None:
            return False
        await self.c.care._load_zone()
        s.care.profile_versions = await self.c.log.profile_versions(s.recipient.id)
        s.screen, s.route = "profile_choice", ROUTE
        return True

    async def submit(self, form: str, values: dict[str, Any]) -> bool:
        if form != FORM:
            return False
        s = self.c.state
        versions = s.care.profile_versions
        differ = differing_fields([v.payload for v in versions])
        choice, errors = {}, {}
        for name in differ:
            picked = str(values.get(f"use.{name}", ""))
            if picked.isdigit() and int(picked) < len(versions):
                choice[name] = int(picked)
            else:
                errors[f"use.{name}"] = f"Choose which version's {MERGE_FIELDS[name][0].lower()} to keep."
        if errors:
            raise FormErrors(errors)
        await self._save(choice, str(values.get("token", "")), "Profile saved from the versions you chose.")
        return True

    async def action(self, name: str, data: dict[str, Any]) -> bool:
        if name != "profile-keep":
            return False
        index, _, token = str(data.get("id", "")).partition(":")
        versions = self.c.state.care.profile_versions
        if not index.isdigit() or int(index) >= len(versions):
            await self.c.navigate(ROUTE)
            return True
        try:
            await self._save({name: int(index) for name in MERGE_FIELDS}, token,
                             f"Profile saved: version {int(index) + 1}, by {versions[int(index)].author}.")
        except FormErrors as problem:
            self.c.state.toast = Toast(" ".join(problem.errors.values()), tone="warn")
            await self.c.navigate(ROUTE)
        return True

    async def _save(self, choice: dict[str, int], token: str, message: str) -> None:
        s = self.c.state
        if s.recipient is None:
            raise FormErrors({"profile": "Choose a person first."})
        rid, versions = s.recipient.id, list(s.care.profile_versions)
        try:
            written = await self.c.log.merge_profile(rid, choice, token)
        except FormErrors:  # the versions changed (a sync): show them again, then say so
            await self.c.navigate(ROUTE)
            raise
        self.c._undo = lambda: self.c.log.undo_merge(rid, written, versions)
        s.toast = Toast(message, undo=True)
        await self.c.navigate("#/profile")
