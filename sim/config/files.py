"""User files are data: the checks a config group's YAML file passes before Hydra composes it.

A scenario, a policy or a rule group's option (``configs/<group>/<option>.yaml``, or the same layout
in a folder added with ``hydra.searchpath=[file:///...]`` or ``--config-dir``) may only set its own
group's keys. Refused, with one line naming the file and the key:

* a ``# @package`` directive (it would let the file write into other groups or ``hydra``);
* a ``hydra`` key, and Hydra's instantiation keys (``_target_``, ``_args_``, ``_partial_``,
  ``_recursive_``, ``_convert_``) anywhere: nothing a file says is ever called;
* interpolations that call a resolver (``${oc.env:...}``): a file is values, not lookups;
* keys of other config groups, unknown keys (with a "did you mean"), and defaults entries other than
  plain names of options of the same group (``defaults: [baseline, _self_]``);
* YAML syntax errors (line and column).

An experiment file (``configs/experiment/``) spans groups by design (``# @package _global_``): it may
set the base run configuration and ``sweep``, and override model groups in its defaults
(``override /scenario: sahel``), nothing else. Option names are names, not paths.

A scenario may also be given by its file's path, anywhere (``scenario=path/to/file.yaml``, absolute
or relative to the working folder): :func:`stage_files` checks the file like a shipped one (the
message names the file), copies it into a private folder as ``scenario/<stem>.yaml`` (another
name if a shipped scenario has that one), and puts that folder on Hydra's search path; a file that
sets no ``name`` is named after its stem. Its ``defaults`` may extend shipped scenarios (and
options in ``hydra.searchpath`` folders).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import yaml

from sim.config.options import CONFIG_DIR, suggest
from sim.config.schema import (CapacityConfig, DecisionConfig, GrievanceConfig, OperationsConfig,
                               PolicyConfig, ScenarioConfig, SweepRootConfig, TrustConfig)
from sim.errors import ConfigError

__all__ = ["DATA_GROUPS", "check_option_file", "check_overrides", "check_choices", "search_roots",
           "check_option_name", "is_file_option", "has_file_options", "stage_files",
           "with_searchpath"]

DATA_GROUPS: dict[str, type] = {
    "scenario": ScenarioConfig, "policy": PolicyConfig, "trust": TrustConfig,
    "decision": DecisionConfig, "operations": OperationsConfig, "capacity": CapacityConfig,
    "grievance": GrievanceConfig,
}


@dataclasses.dataclass(frozen=True)
class ParamsFile:
    """A named parameter set (``configs/params/<name>.yaml``, e.g. a calibration's posterior
    medians): values of the rule groups only (not the policy, the scenario or the sweep)."""

    trust: TrustConfig = dataclasses.field(default_factory=TrustConfig)
    decision: DecisionConfig = dataclasses.field(default_factory=DecisionConfig)
    operations: OperationsConfig = dataclasses.field(default_factory=OperationsConfig)
    capacity: CapacityConfig = dataclasses.field(default_factory=CapacityConfig)
    grievance: GrievanceConfig = dataclasses.field(default_factory=GrievanceConfig)


GLOBAL_GROUPS = {"experiment": SweepRootConfig, "params": ParamsFile}
FILE_GROUPS = (*DATA_GROUPS, *GLOBAL_GROUPS)
INSTANTIATE_KEYS = ("_target_", "_args_", "_partial_", "_recursive_", "_convert_")
TOP_LEVEL = tuple(f.name for f in dataclasses.fields(SweepRootConfig)) + ("hydra", "experiment",
                                                                         "params")
_PACKAGE = re.compile(r"^\s*#\s*@package\b[ \t]*(\S*)", re.M)
_RESOLVER = re.compile(r"\$\{\s*([A-Za-z_][\w.\-]*)\s*:")


def _show(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(CONFIG_DIR.parent))
    except ValueError:
        return str(path)


def check_option_name(group: str, option) -> None:
    """An option is named, not given by path: no separators, no ``..``, no ``.yaml``."""
    text = str(option)
    if (not text or "/" in text or "\\" in text or ".." in text or "\0" in text
            or text.endswith((".yaml", ".yml"))):
        raise ConfigError(
            f"{group}={text!r}: an option is a name (a file {group}/<name>.yaml in a config "
            f"folder), not a path; allowed: a name without '/', '\\' or '..'. For your own file, "
            f"put it in configs/{group}/<name>.yaml, or put it at <folder>/{group}/<name>.yaml and "
            f"add hydra.searchpath=[file://<folder>] (sim.run and the Python API)")


# groups whose option may be given as a file's path (scenario=path/to/file.yaml)
FILE_PATH_GROUPS = ("scenario",)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def is_file_option(value) -> bool:
    """A group's value that names a file rather than an option: it has a path separator or
    ends in ``.yaml``/``.yml``."""
    text = str(value)
    return "/" in text or "\\" in text or text.endswith((".yaml", ".yml"))


def _parse(override: str):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_overrides([str(override)])[0]
    except Exception:  # noqa: BLE001 - reported by Hydra's composition with its own message
        return None


def _file_values(override: str) -> tuple[str, list] | None:
    """``(group, values)`` of a ``scenario=<path>`` override (values: one, or a comma sweep),
    None when it selects no file."""
    from hydra.core.override_parser.types import ValueType

    if str(override).lstrip("+~").partition("=")[0].strip() not in FILE_PATH_GROUPS:
        return None                                     # cheap: most overrides are not groups
    ov = _parse(override)
    if (ov is None or ov.key_or_group not in FILE_PATH_GROUPS or ov.package or ov.is_delete()):
        return None
    if ov.value_type == ValueType.ELEMENT:
        values = [ov.value()]
    elif ov.value_type in (ValueType.SIMPLE_CHOICE_SWEEP, ValueType.CHOICE_SWEEP):
        values = list(ov.value().list)
    else:
        return None
    if not any(isinstance(v, str) and is_file_option(v) for v in values):
        return None
    return ov.key_or_group, values


def has_file_options(overrides) -> bool:
    """Whether any override selects a group option by a file's path."""
    return any(_file_values(o) is not None for o in overrides)


def _searchpath_entries(overrides) -> tuple[list[str], list]:
    """The overrides without ``hydra.searchpath``, and that override's entries."""
    rest, entries = [], []
    for o in overrides:
        key, sep, _ = str(o).lstrip("+~").partition("=")
        if key == "hydra.searchpath" and sep:
            entries = [str(e) for e in _parse_list(str(o))]
        else:
            rest.append(o)
    return rest, entries


def with_searchpath(overrides, folders) -> list[str]:
    """``overrides`` with ``folders`` added to its ``hydra.searchpath`` (one override holding the
    user's entries first, then these: Hydra keeps only the last ``hydra.searchpath``)."""
    folders = [f"file://{Path(f).resolve()}" for f in folders]
    if not folders:
        return list(overrides)
    rest, entries = _searchpath_entries(overrides)
    quoted = ", ".join("'" + e.replace("\\", "\\\\").replace("'", "\\'") + "'"
                       for e in [*entries, *folders])
    return [*rest, f"hydra.searchpath=[{quoted}]"]


def stage_files(overrides, folder, config_dirs=()) -> tuple[list[str], list[dict]]:
    """Let ``scenario=path/to/file.yaml`` select a scenario file anywhere.

    Each file is checked first as it is (:func:`check_option_file`: the message names it), then
    copied to ``<folder>/scenario/<name>.yaml`` under a name no other scenario option has (its
    stem when free), with ``name: <stem>`` added when the file sets no ``name``; the override
    selects that name and ``folder`` joins ``hydra.searchpath``.

    Returns ``(overrides, files)``: the rewritten overrides (unchanged when no override names a
    file) and, per file, ``{"group", "path", "option", "sha256"}``.
    """
    import hashlib

    overrides = [str(o) for o in overrides]
    if not has_file_options(overrides):
        return overrides, []
    folder = Path(folder)
    roots = search_roots(overrides, config_dirs)
    out, staged, taken = [], [], {}
    for o in overrides:
        found = _file_values(o)
        if found is None:
            out.append(o)
            continue
        group, values = found
        names = []
        for value in values:
            if not (isinstance(value, str) and is_file_option(value)):
                names.append(str(value))
                continue
            path = Path(value).expanduser()
            if path.suffix not in (".yaml", ".yml"):
                raise ConfigError(f"{group}={value!r}: a {group} file is a YAML file; allowed: a "
                                  f"{group} name ({', '.join(_all_options(roots, group))}) or "
                                  f"the path of a .yaml file")
            if not path.is_file():
                raise ConfigError(f"{group}={value!r}: no such file ({path.resolve()}); allowed: "
                                  f"a {group} name ({', '.join(_all_options(roots, group))}) or "
                                  f"the path of an existing .yaml file")
            real = path.resolve()
            if real in taken:
                names.append(taken[real])
                continue
            check_option_file(path, group, roots)
            text = path.read_text()
            data = yaml.safe_load(text) or {}
            stem = _SAFE_NAME.sub("_", path.stem) or group
            name, n = stem, 1
            existing = set(_all_options(roots, group)) | set(taken.values())
            while name in existing:
                name = f"{stem}_file" + (str(n) if n > 1 else "")
                n += 1
            target = folder / group / f"{name}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            if "name" in data:
                target.write_text(text)
            else:  # named after its file; checked to mean exactly that
                target.write_text(text.rstrip("\n") + f"\nname: '{stem}'\n")
                try:
                    same = yaml.safe_load(target.read_text()) == {**data, "name": stem}
                except yaml.YAMLError:
                    same = False
                if not same:
                    raise ConfigError(f"{_show(path)}: sets no name and cannot be given one; "
                                      f"allowed: add a line 'name: {stem}'")
            taken[real] = name
            names.append(name)
            staged.append({"group": group, "path": str(real), "option": name,
                           "sha256": hashlib.sha256(text.encode()).hexdigest()})
        key = o.partition("=")[0]
        out.append(f"{key}={','.join(names)}")
    return with_searchpath(out, [folder]), staged


def search_roots(overrides=(), config_dirs=()) -> list[Path]:
    """The folders Hydra looks for options in: ``configs/``, then ``--config-dir`` and
    ``hydra.searchpath`` entries. A user folder may hold only the model's config groups."""
    roots = [CONFIG_DIR]
    extra = [Path(d) for d in config_dirs]
    for o in overrides:
        key, sep, value = str(o).lstrip("+~").partition("=")
        if key != "hydra.searchpath" or not sep:
            continue
        for entry in _parse_list(o):
            entry = str(entry)
            if entry.startswith("file://"):
                extra.append(Path(entry[len("file://"):]))
            elif entry.startswith("pkg://"):
                spec = importlib.util.find_spec(entry[len("pkg://"):].split("/")[0])
                if spec and spec.submodule_search_locations:
                    sub = entry[len("pkg://"):].split("/")[1:]
                    extra.extend(Path(loc, *sub) for loc in spec.submodule_search_locations)
            else:
                extra.append(Path(entry))
    for root in extra:
        if root.resolve() == CONFIG_DIR.resolve() or not root.is_dir():
            continue
        for p in root.iterdir():
            if p.is_dir() and p.name not in FILE_GROUPS:
                raise ConfigError(
                    f"hydra.searchpath: the folder {root} holds {p.name}/, which is not a config "
                    f"group of the model; allowed: {', '.join(g + '/' for g in FILE_GROUPS)}")
            if p.is_file() and p.suffix in (".yaml", ".yml"):
                raise ConfigError(f"hydra.searchpath: the folder {root} holds {p.name}, a primary "
                                  "config; allowed there: only folders of config groups "
                                  f"({', '.join(g + '/' for g in FILE_GROUPS)})")
        roots.append(root)
    return roots


def _parse_list(override: str) -> list:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        value = OverridesParser.create().parse_overrides([override])[0].value()
    except Exception:  # noqa: BLE001 - reported by Hydra's composition with its own message
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _files(roots, group: str, option: str) -> list[Path]:
    return [r / group / f"{option}.yaml" for r in roots if (r / group / f"{option}.yaml").is_file()]


def _all_options(roots, group: str) -> list[str]:
    return sorted({p.stem for r in roots for p in (r / group).glob("*.yaml")})


def _load(path: Path):
    text = path.read_text()
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{_show(path)}: YAML syntax error{where}: {problem}; allowed: a YAML "
                          "mapping of keys to values") from None


def _walk(node, path: str):
    """Every (dotted key, key, value) of a parsed YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{path}.{k}" if path else str(k)
            yield sub, k, v
            yield from _walk(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _check_values(path: Path, data, prefix: str) -> None:
    for dotted, key, value in _walk(data, prefix):
        if key in INSTANTIATE_KEYS:
            raise ConfigError(f"{_show(path)}: {dotted} is refused: a config file is data, and "
                              f"{key} would make Hydra call code; allowed: values only")
        if key == "hydra":
            raise ConfigError(f"{_show(path)}: {dotted} is refused: a config file may not set "
                              "Hydra's own configuration; allowed: the model's keys only")
        if isinstance(value, str) and (m := _RESOLVER.search(value)):
            raise ConfigError(f"{_show(path)}: {dotted}={value!r} calls the resolver "
                              f"{m.group(1)!r}; allowed: plain values (or ${{key}} references)")


def check_option_file(path: Path, group: str, roots=(CONFIG_DIR,), _seen=None) -> None:
    """Refuse (ConfigError) a group option file that is not plain data of its own group."""
    path = Path(path)
    seen = set() if _seen is None else _seen
    if path.resolve() in seen:
        return
    seen.add(path.resolve())
    text, data = _load(path)
    global_ = group in GLOBAL_GROUPS
    m = _PACKAGE.search(text)
    if global_ and not m:
        raise ConfigError(f"{_show(path)}: an {group} file sets keys of several groups and must "
                          "start with '# @package _global_'")
    if m and not (global_ and m.group(1) == "_global_"):
        raise ConfigError(
            f"{_show(path)}: the '# @package {m.group(1)}' directive is refused: a {group} file "
            f"sets only {group} keys; allowed: no package directive" if not global_ else
            f"{_show(path)}: '# @package {m.group(1)}' is refused; allowed: '# @package _global_'")
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError(f"{_show(path)}: a {group} file is a mapping of keys to values, got "
                          f"{type(data).__name__}")
    schema = GLOBAL_GROUPS.get(group) or DATA_GROUPS[group]
    fields = [f.name for f in dataclasses.fields(schema)]
    scope = "" if global_ and m else group
    _check_values(path, {k: v for k, v in data.items() if k != "defaults"}, scope)
    for key in data:
        if key == "defaults" or key in fields:
            continue
        if not global_ and key in TOP_LEVEL:
            raise ConfigError(f"{_show(path)}: the key {key!r} belongs to another config group; "
                              f"a {group} file sets only {group}.* keys (allowed: "
                              f"{', '.join(fields)})")
        raise ConfigError(f"{_show(path)}: unknown key {key!r}{suggest(key, fields)}; allowed: "
                          f"{', '.join(fields)}")
    _check_defaults(path, group, data.get("defaults"), roots, seen)


def _check_defaults(path: Path, group: str, defaults, roots, seen) -> None:
    if defaults is None:
        return
    if not isinstance(defaults, list):
        raise ConfigError(f"{_show(path)}: defaults must be a list")
    for j, entry in enumerate(defaults):
        where = f"{_show(path)}: defaults[{j}]={entry!r}"
        if entry == "_self_":
            continue
        if group in GLOBAL_GROUPS:
            # only `override /<model group>: <option>` (or `/<model group>: <option>`)
            if isinstance(entry, dict) and len(entry) == 1:
                (key, option), = entry.items()
                target = str(key).removeprefix("override").strip()
                if target.startswith("/") and target[1:] in DATA_GROUPS and option is not None:
                    check_option_name(target[1:], option)
                    for f in _files(roots, target[1:], str(option)):
                        check_option_file(f, target[1:], roots, seen)
                    continue
            raise ConfigError(f"{where} is refused: an experiment's defaults may only choose "
                              f"options of the model's groups (override /scenario: sahel); "
                              f"allowed groups: {', '.join(DATA_GROUPS)}")
        if (not isinstance(entry, str) or any(c in entry for c in "/\\@:") or ".." in entry
                or entry.split()[0] in ("override", "optional")):
            raise ConfigError(f"{where} is refused: a {group} file may extend only another "
                              f"{group} option, by its plain name (defaults: [baseline, _self_])")
        files = _files(roots, group, entry)
        if not files:
            raise ConfigError(f"{where}: no {group} option {entry!r}"
                              f"{suggest(entry, _all_options(roots, group))}")
        for f in files:
            check_option_file(f, group, roots, seen)


def _check_choice(group: str, option, roots) -> None:
    if option is None:
        return
    check_option_name(group, option)
    files = _files(roots, group, str(option))
    if not files and group in GLOBAL_GROUPS:  # `optional` in the defaults: Hydra would ignore it
        known = _all_options(roots, group)
        raise ConfigError(f"{group}={option}: no such {group}{suggest(option, known)}; allowed: "
                          f"{', '.join(known)}")
    for f in files:
        check_option_file(f, group, roots)


def _primary_choices(config_name: str) -> dict[str, str | None]:
    path = CONFIG_DIR / f"{config_name}.yaml"
    out: dict[str, str | None] = {}
    if not path.is_file():
        return out
    for entry in (yaml.safe_load(path.read_text()) or {}).get("defaults", []):
        if isinstance(entry, dict):
            for key, value in entry.items():
                key = str(key).removeprefix("optional").strip()
                if key in FILE_GROUPS:
                    out[key] = value
    return out


def check_overrides(config_name: str, overrides=(), config_dirs=()) -> list[Path]:
    """Before composing: check the option files that ``overrides`` (and the primary config's
    defaults) select, in every folder Hydra will search. Returns the search roots."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob

    roots = search_roots(overrides, config_dirs)
    choices = _primary_choices(config_name)
    parser = OverridesParser.create()
    for o in overrides:
        try:
            ov = parser.parse_overrides([str(o)])[0]
        except Exception:  # noqa: BLE001 - Hydra reports it, in one line (hydra_message)
            continue
        group = ov.key_or_group
        if group not in FILE_GROUPS:
            continue
        if ov.is_delete():
            choices.pop(group, None)
            continue
        if ov.is_sweep_override():
            value = ov.value()
            options = (_all_options(roots, group) if isinstance(value, Glob)
                       else [str(v) for v in ov.sweep_string_iterator()])
            for option in options:
                _check_choice(group, option, roots)
            choices.pop(group, None)
            continue
        choices[group] = ov.get_value_element_as_str()
    for group, option in choices.items():
        _check_choice(group, option, roots)
    return roots


def check_choices(choices, roots) -> None:
    """After composing: check the option Hydra chose for each group (``hydra.runtime.choices``)."""
    for group in FILE_GROUPS:
        if group in choices:
            _check_choice(group, choices[group], roots)
