"""mkdocs.yml read without running anything in it (第二条, 第十八条).

MkDocs loads ``mkdocs.yml`` with PyYAML's full loader (a ``!!python/object``
tag runs code) and imports every ``hooks:`` file while it validates the
configuration: whatever a repository holds runs before any plugin event.  The
gate's commands (``check``, ``verify-site``, ``inputs``, ``approve``, ``sign``
…) must judge a site without trusting it, so they read the configuration here:
safe YAML, MkDocs' own tags (``!ENV``, ``!relative``) resolved the way MkDocs
resolves them, every other tag kept as opaque data, ``INHERIT`` followed, no
plugin, theme or hook imported.  The result has the attributes the gate reads
from MkDocs' configuration object, so both feed the same ``gate_config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import yaml


class SiteConfigError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Tagged:
    """A YAML value under a tag the safe loader does not know (``!ENV``, ``!!python/name:``)."""

    tag: str
    value: object


class _TagKeeping:
    """Safe YAML, except that an unknown tag becomes ``Tagged`` instead of an error, and a
    key written twice in one mapping is refused (which one counts is a parser's choice)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the safe constructor refuses it itself
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _TagKeepingLoader(_TagKeeping, yaml.SafeLoader):
    """MkDocs and Zensical read mkdocs.yml with PyYAML's pure-Python parser (``yaml.Loader``):
    this is the same parser, so the gate approves exactly the configuration they build with."""


class _TagKeepingCLoader(_TagKeeping, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser, only to compare with (see ``load_config_yaml``)."""


def _construct_tagged(loader, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged(node.tag, value)


_TagKeepingLoader.add_constructor(None, _construct_tagged)
_TagKeepingCLoader.add_constructor(None, _construct_tagged)


def load_config_yaml(raw: bytes, what: str) -> dict:
    """Parse one MkDocs configuration file, tags kept; SiteConfigError when it does not parse.

    Read as MkDocs reads it (the pure-Python parser), and refused when libyaml reads it
    otherwise: the two parsers disagree on some inputs (a byte-order mark inside the file
    turns a line into a comment for one of them), and a file that means two things could be
    approved as one and built as the other (第二条, 第十八条).
    """
    try:
        data = yaml.load(raw, Loader=_TagKeepingLoader)  # noqa: S506 - safe loader + Tagged
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise SiteConfigError(f"{what} 无法解析：{exc}", f"{what} does not parse: {exc}") from None
    if hasattr(yaml, "CSafeLoader"):
        try:
            other = yaml.load(raw, Loader=_TagKeepingCLoader)  # noqa: S506
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            other = _DIFFERENT
        if other != data:
            raise SiteConfigError(
                f"{what} 可被不同的 YAML 解析器读成不同的配置（如文件中间的字节顺序标记 U+FEFF、不可见字符），"
                "审查批准的与构建所用的可能不是同一配置，不予接受（第二条、第十八条）。请删除这些字符后重新记录并批准构建输入",
                f"{what} reads as different configurations in different YAML parsers (a byte-order "
                "mark U+FEFF inside the file, invisible characters): what is approved could differ "
                "from what is built, so it is refused. Remove those characters, then record and "
                "approve the build inputs again")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SiteConfigError(f"{what} 必须是键值映射", f"{what} must be a mapping")
    return data


_DIFFERENT = object()


def _env(value: Tagged):
    """``!ENV NAME`` or ``!ENV [NAME, OTHER, default]`` as MkDocs (pyyaml_env_tag) reads it."""
    names = value.value if isinstance(value.value, list) else [value.value]
    if not names:
        return None
    candidates, default = (names[:-1], names[-1]) if len(names) > 1 else (names, None)
    for name in candidates:
        if isinstance(name, str) and name in os.environ:
            return yaml.safe_load(os.environ[name]) if os.environ[name] else None
    return default


def _resolve(value, config_dir: str, docs_dir: str | None):
    """MkDocs' tags → values; other tags stay ``Tagged`` (nothing imported)."""
    if isinstance(value, Tagged):
        if value.tag == "!ENV":
            return _resolve(_env(value), config_dir, docs_dir)
        if value.tag == "!relative":
            suffix = value.value if isinstance(value.value, str) else ""
            for var, root in (("$config_dir", config_dir), ("$docs_dir", docs_dir)):
                if suffix.startswith(var) and root is not None:
                    return os.path.normpath(os.path.join(root, suffix[len(var):].lstrip("/")))
            return None  # the directory of the page being rendered: not a site-wide path
        return value
    if isinstance(value, dict):
        return {k: _resolve(v, config_dir, docs_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, config_dir, docs_dir) for v in value]
    return value


def _merge(parent: dict, child: dict) -> dict:
    """INHERIT: the child's keys win, mappings merged deeply (as MkDocs merges them)."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_chain(config_file: Path) -> dict:
    """mkdocs.yml with everything it INHERITs merged in, tags kept."""
    path = Path(os.path.abspath(config_file))
    seen: set[str] = set()
    chain: list[dict] = []
    while True:
        real = os.path.realpath(path)
        if real in seen:
            raise SiteConfigError(f"INHERIT 形成循环：{path}", f"INHERIT loops back to {path}")
        seen.add(real)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SiteConfigError(f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
        data = load_config_yaml(raw, str(path))
        chain.append(data)
        parent = data.pop("INHERIT", None)
        if parent is None:
            break
        if not isinstance(parent, str) or not parent:
            raise SiteConfigError(f"{path} 的 INHERIT 须为文件路径", f"INHERIT in {path} must be a file path")
        path = Path(os.path.normpath(path.parent / parent))
    merged: dict = {}
    for data in reversed(chain):
        merged = _merge(merged, data)
    return merged


def plugin_names(plugins) -> list[str]:
    """Names in an MkDocs ``plugins`` value (a list of names/one-key mappings, or a mapping)."""
    if isinstance(plugins, dict):
        return [str(k) for k in plugins]
    names: list[str] = []
    for item in plugins if isinstance(plugins, list) else []:
        names.extend([item] if isinstance(item, str) else [str(k) for k in item] if isinstance(item, dict) else [])
    return names


def _named(items) -> list[tuple[str, dict]]:
    """``plugins:``/``markdown_extensions:`` entries → (name, options)."""
    out = []
    if isinstance(items, dict):
        items = [{k: v} for k, v in items.items()]
    for item in items or []:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            (name, opts), = item.items()
            out.append((str(name), opts if isinstance(opts, dict) else {}))
    return out


@dataclass
class SiteConfig:
    """The parts of mkdocs.yml the gate reads, with the attribute names of MkDocs' config."""

    config_file_path: str
    docs_dir: str
    site_dir: str
    theme: SimpleNamespace
    hooks: dict = field(default_factory=dict)  # path as written -> absolute path (never imported)
    nav: object = None
    markdown_extensions: list[str] = field(default_factory=list)
    mdx_configs: dict = field(default_factory=dict)
    plugins: dict = field(default_factory=dict)  # name -> options as written
    extra_templates: list[str] = field(default_factory=list)
    use_directory_urls: bool = True
    # Patterns as MkDocs validates them (pathspec's GitIgnoreSpec), for MkDocs' own discovery.
    exclude_docs: object = None
    draft_docs: object = None
    not_in_nav: object = None
    data: dict = field(default_factory=dict)  # the whole merged configuration, resolved

    def get(self, key, default=None):
        return getattr(self, key, default)

    def __getitem__(self, key):
        return getattr(self, key)


def read_site_config(config_file: Path) -> SiteConfig:
    """Read mkdocs.yml (and its INHERIT chain) safely; SiteConfigError when it cannot be read."""
    config_file = Path(os.path.abspath(config_file))
    config_dir = str(config_file.parent)
    raw = read_chain(config_file)
    docs = _resolve(raw.get("docs_dir", "docs"), config_dir, None)
    if not isinstance(docs, str):
        raise SiteConfigError("docs_dir 必须是路径", "docs_dir must be a path")
    docs_dir = os.path.normpath(os.path.join(config_dir, docs))
    data = _resolve(raw, config_dir, docs_dir)
    site = data.get("site_dir", "site")
    site_dir = os.path.normpath(os.path.join(config_dir, site if isinstance(site, str) else "site"))
    theme = data.get("theme") or {}
    if isinstance(theme, str):
        theme = {"name": theme}
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    theme_ns = SimpleNamespace(name=theme.get("name") if isinstance(theme, dict) else None,
                               custom_dir=os.path.normpath(os.path.join(config_dir, custom))
                               if isinstance(custom, str) else None)
    hooks = {}
    for h in data.get("hooks") or []:
        if isinstance(h, str):
            hooks[h] = os.path.normpath(os.path.join(config_dir, h))
    extensions = _named(data.get("markdown_extensions"))
    plugins = data.get("plugins")
    return SiteConfig(
        config_file_path=str(config_file), docs_dir=docs_dir, site_dir=site_dir, theme=theme_ns,
        hooks=hooks, nav=data.get("nav"),
        markdown_extensions=[n for n, _ in extensions], mdx_configs={n: o for n, o in extensions},
        plugins=dict(_named(plugins if plugins is not None else ["search"])),
        extra_templates=[t for t in data.get("extra_templates") or [] if isinstance(t, str)],
        use_directory_urls=data.get("use_directory_urls", True) is not False,
        exclude_docs=_patterns(data.get("exclude_docs")),
        draft_docs=_patterns(data.get("draft_docs")),
        not_in_nav=_patterns(data.get("not_in_nav")),
        data=data)


def _patterns(value):
    """A gitignore-style pattern block → the GitIgnoreSpec MkDocs' PathSpec option makes of it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SiteConfigError("exclude_docs、draft_docs、not_in_nav 须为多行文本",
                              "exclude_docs, draft_docs and not_in_nav must be multi-line strings")
    import pathspec

    return pathspec.gitignore.GitIgnoreSpec.from_lines(value.splitlines())
