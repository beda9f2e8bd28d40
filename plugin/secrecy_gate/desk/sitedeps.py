"""What a site needs installed to build: its theme, plugins and Markdown extensions.

``secrecy-gate init`` writes a CI file that must build the site as its
authors build it; installing only ``mkdocs-secrecy-gate`` fails on the first
``theme: material``.  The names in ``mkdocs.yml`` are mapped to the
distributions that provide them the way MkDocs and Python-Markdown find them:
entry points (``mkdocs.themes``, ``mkdocs.plugins`` — a theme's namespaced
plugin such as ``material/tags`` first, as MkDocs prefers it —
``markdown.extensions``) and, for a dotted extension or a ``!!python/name:``
tag, the distribution of its top-level module
(``importlib.metadata.packages_distributions``).  Only what is installed
here can be looked up; anything else becomes a TODO in the CI file, never a
guess.  mkdocs.yml is read safely (``core/siteconfig.py``): nothing imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..core.siteconfig import SiteConfigError, Tagged, read_site_config
from ..review.inputs import entry_point_dist

# Installed with mkdocs-secrecy-gate itself (its dependencies).
BUNDLED = frozenset({"mkdocs", "markdown", "mkdocs-secrecy-gate", "pyyaml", "jinja2"})
BUILTIN_THEMES = frozenset({"mkdocs", "readthedocs"})
# Themes so common that their package is known even where they are not installed.
KNOWN_THEMES = {"material": "mkdocs-material"}


@dataclass
class SiteDeps:
    packages: list[str] = field(default_factory=list)  # distribution names, in order found
    versions: dict[str, str] = field(default_factory=dict)  # installed here
    unknown: list[str] = field(default_factory=list)  # "plugin foo", "theme bar": not found here
    strict: bool = False  # mkdocs.yml sets `strict: true` itself
    error: str | None = None  # mkdocs.yml could not be read

    def add(self, dist: str | None) -> None:
        if dist is None:
            return
        name = dist.lower().replace("_", "-")
        if name in BUNDLED or name in self.packages:
            return
        self.packages.append(name)
        try:
            self.versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass


def _module_dist(module: str, table: dict[str, list[str]]) -> str | None:
    top = module.split(".", 1)[0]
    dists = table.get(top) or []
    return dists[0] if dists else None


def _tagged_modules(value) -> list[str]:
    """Modules named by ``!!python/name:`` / ``!!python/object`` tags anywhere in the config."""
    out: list[str] = []
    if isinstance(value, Tagged):
        tag = value.tag
        for marker in ("python/name:", "python/object/apply:", "python/object:", "python/module:"):
            if marker in tag:
                out.append(tag.split(marker, 1)[1])
                break
        out.extend(_tagged_modules(value.value))
    elif isinstance(value, dict):
        for v in value.values():
            out.extend(_tagged_modules(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_tagged_modules(v))
    return out


def site_deps(config_file: Path) -> SiteDeps:
    """The distributions ``config_file``'s theme, plugins and extensions come from."""
    deps = SiteDeps()
    try:
        cfg = read_site_config(config_file)
    except SiteConfigError as exc:
        deps.error = exc.en
        return deps
    deps.strict = cfg.data.get("strict") is True
    modules = metadata.packages_distributions()
    eps = metadata.entry_points()

    def entry(group: str, name: str) -> str | None:  # the lookup the leak scan's packages use
        return entry_point_dist(eps, group, name)[1]

    theme = cfg.theme.name if isinstance(cfg.theme.name, str) else "mkdocs"
    if theme not in BUILTIN_THEMES:
        dist = entry("mkdocs.themes", theme) or KNOWN_THEMES.get(theme)
        if dist is None:
            deps.unknown.append(f"theme {theme}")
        deps.add(dist)
    for name in cfg.plugins:
        dist = entry("mkdocs.plugins", f"{theme}/{name}") or entry("mkdocs.plugins", name)
        if dist is None and "/" in name and name.split("/", 1)[0] in KNOWN_THEMES:
            dist = KNOWN_THEMES[name.split("/", 1)[0]]  # material/… plugins come with the theme
        if dist is None:
            deps.unknown.append(f"plugin {name}")
        deps.add(dist)
    for name in cfg.markdown_extensions:
        if "." in name or ":" in name:
            dist = _module_dist(name.split(":", 1)[0], modules)
        else:
            dist = entry("markdown.extensions", name)
        if dist is None:
            deps.unknown.append(f"markdown extension {name}")
        deps.add(dist)
    for module in _tagged_modules(cfg.data):
        dist = _module_dist(module, modules)
        if dist is None:
            deps.unknown.append(f"module {module}")
        deps.add(dist)
    deps.unknown = list(dict.fromkeys(deps.unknown))
    return deps


__all__ = ["SiteDeps", "site_deps"]
