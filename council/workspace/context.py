"""What the workspace works on: the council's keys, its store and the campaign pack,
opened when first needed (never at import) from the settings."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings

from booth.pack import CampaignPack, PackError, default_pack_path, load_pack
from council.admin import CouncilError, CouncilKeys, open_storage
from council.storage import CouncilStorage
from council.workspace.ageseek import parse_identity


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Workspace:
    """The keys, store and pack one workspace serves; ``clock`` is injectable for tests."""

    keys_dir: Path
    store_dir: Path
    pack_path: Path | None = None
    escrow_dirs: list[Path] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow

    @cached_property
    def keys(self) -> CouncilKeys:
        return CouncilKeys.load(self.keys_dir)

    @cached_property
    def identities(self) -> list[str]:
        return self.keys.ingest_identities()

    @cached_property
    def x25519_identities(self) -> list[X25519PrivateKey]:
        return [parse_identity(text) for text in self.identities]

    @cached_property
    def storage(self) -> CouncilStorage:
        return open_storage(self.store_dir, create=False)

    @cached_property
    def pack(self) -> CampaignPack | None:
        try:
            return load_pack(self.pack_path or default_pack_path())
        except PackError:
            return None

    @property
    def retention_days(self) -> int:
        return self.pack.retention_days if self.pack else 180

    @cached_property
    def labels(self) -> dict[str, str]:
        """Ids (prompts, priority items, about-you answers) to the words people saw."""
        labels: dict[str, str] = {}
        pack = self.pack
        if pack is None:
            return labels
        for prompt in pack.prompts:
            labels.setdefault(prompt.id, prompt.text)
        for priority_list in pack.priority_lists:
            for item in priority_list.items:
                labels.setdefault(item.id, item.label)
        for question in pack.about_you:
            labels.setdefault(question.id, question.text)
            for option in question.options:
                labels.setdefault(option.id, option.label)
        return labels

    @cached_property
    def consent_wordings(self) -> dict[str, tuple[str, str | None]]:
        """sha256 of each look's consent text, in each language (as the kiosk hashes it),
        to the text and the grown-up's confirmation line, so staff read the wording as it
        was shown."""
        found: dict[str, tuple[str, str | None]] = {}
        if self.pack is None:
            return found
        # In every language of the pack: a kiosk hashes the words the person read.
        for language in self.pack.languages:
            for wording in self.pack.in_language(language).consent.values():
                digest = hashlib.sha256(wording.text.encode("utf-8")).hexdigest()
                found[digest] = (wording.text, wording.adult_confirmation)
        return found

    def close(self) -> None:
        if "storage" in self.__dict__:
            self.storage.close()


_lock = threading.Lock()
_current: Workspace | None = None


def current() -> Workspace:
    """The workspace the settings name (one per process)."""
    global _current
    with _lock:
        if _current is None:
            if settings.WORKSPACE_KEYS is None or settings.WORKSPACE_STORE is None:
                raise CouncilError("the workspace needs --keys and --store")
            _current = Workspace(
                keys_dir=settings.WORKSPACE_KEYS, store_dir=settings.WORKSPACE_STORE,
                pack_path=settings.WORKSPACE_PACK, escrow_dirs=list(settings.WORKSPACE_ESCROW),
            )
        return _current


def use(workspace: Workspace | None) -> None:
    """Swap the process's workspace (tests give each their own store and clock)."""
    global _current
    with _lock:
        if _current is not None and _current is not workspace:
            _current.close()
        _current = workspace
