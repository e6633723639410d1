"""One change to Material's published stylesheets, for a phone's main thread.

When a page loads, Material's palette script marks the body ``data-md-color-switching`` and
removes the mark a moment later; its palette stylesheet stops every transition while the mark
is there::

    [data-md-color-switching] *, ... {transition-duration: 0s !important}

A rule on every element means that setting and removing the mark each restyle the whole page:
in Lighthouse's mobile trace of Part G, two full style passes at load, about 30 ms of total
blocking time (``make bench``). The build removes the rule from the published copy of the
stylesheet. What it guarded against, colours fading while the scheme changes, now happens
only when a reader toggles the scheme (a 0.25 s fade of the header), because the first scheme
is applied before the first paint (``overrides/partials/javascripts/palette.html``).

If a stylesheet has a rule on ``data-md-color-switching`` that is not the one written here (a new
Material), the build stops and says so, so that an upgrade is checked rather than silently
slower. A theme with no such rule is left as it is.
"""

from __future__ import annotations

from pathlib import Path

SWITCHING_RULE = (
    "[data-md-color-switching] *,[data-md-color-switching] :after,"
    "[data-md-color-switching] :before{transition-duration:0s!important}"
)
DONE = "/* sitebuild/theme_patch.py: the data-md-color-switching rule is removed */"


class ThemePatchError(RuntimeError):
    """Material's stylesheet is not the one this patch was written for."""


def without_switching_rule(site_dir: Path) -> list[Path]:
    """Remove :data:`SWITCHING_RULE` from the built stylesheets that have a rule on
    ``data-md-color-switching`` (Material's palette stylesheet); return their paths. A site
    without one (another theme) is left as it is."""
    patched = []
    for sheet in sorted((site_dir / "assets" / "stylesheets").glob("*.css")):
        css = sheet.read_text(encoding="utf-8")
        if "[data-md-color-switching]" not in css or DONE in css:
            continue  # DONE: mkdocs serve --dirty keeps a published file that did not change
        if SWITCHING_RULE not in css:
            raise ThemePatchError(
                f"{sheet.name}: Material's rule for data-md-color-switching is not there as "
                f"sitebuild/theme_patch.py expects it; check what the new Material does at load"
            )
        sheet.write_text(css.replace(SWITCHING_RULE, "") + "\n" + DONE + "\n", encoding="utf-8")
        patched.append(sheet)
    return patched
