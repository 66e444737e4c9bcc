"""``python -m booth.pack PACK LANGUAGE``: write a pack's translation file for a language, or
bring one up to date after the pack changed (its translations kept, new lines left empty)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from booth.i18n import english_name, is_language_code
from booth.pack.errors import PackError
from booth.pack.load import pack_table
from booth.pack.translations import (
    entries,
    existing_translation,
    translation_file,
    translation_path,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booth.pack",
        description="Write the translation file of a campaign pack for one language, beside "
                    "the pack (docs/campaign-pack.md, Languages).")
    parser.add_argument("pack", type=Path, help="the pack file, e.g. one_stockport.toml")
    parser.add_argument("language", help="the language's code, e.g. ur, pl, ar, so")
    args = parser.parse_args(argv)
    pack: Path = args.pack
    language: str = args.language
    if not is_language_code(language):
        parser.error(f"{language!r} is not a language code (like ur, pl or ar)")
    try:
        data = pack_table(pack)
        file = translation_path(pack, language)
        existing = existing_translation(file)
    except PackError as error:
        print(error, file=sys.stderr)
        return 1
    file.write_text(translation_file(data, language, existing, pack.name), encoding="utf-8")
    to_do = sum(1 for entry in entries(data) if entry.required and entry.key not in existing)
    print(f"wrote {file}: {to_do} lines to translate into {english_name(language)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
