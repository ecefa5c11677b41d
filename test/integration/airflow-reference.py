"""Airflow's configuration reference, offline: writes src/config/airflow-reference.json.

What Airflow 3.3.2 and its providers say about every [section] key of airflow.cfg, read from the packages themselves:

- apache-airflow's ``config_templates/config.yml`` and each installed provider's ``get_provider_info()["config"]``
  (the providers of test/integration/requirements.txt, found through their ``apache_airflow_provider`` entry points),
  plus EXTRA_PROVIDERS below, read from their wheels;
- per key: its type (string, integer, float, boolean), default, whether it is sensitive (a secret), and whether it is
  deprecated (``version_deprecated``, ``deprecation_reason``);
- names Airflow no longer describes ("retired"): the ``deprecated_options`` map of Airflow's configuration parser
  (old names Airflow still reads, with a warning) and the ``CONFIGS_CHANGES`` list behind ``airflow config lint``
  (options renamed or removed in Airflow 3), each with its replacement where there is one.

Run with the Airflow venv of .ci/tools/auth-stack.sh (``npm run config:reference`` does it):

    python test/integration/airflow-reference.py [OUT]     # stdout when OUT is omitted

test/integration/airflow-reference.test.ts runs it and compares the output with the committed file.
"""

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Importing airflow.configuration writes an airflow.cfg into AIRFLOW_HOME: keep it out of the user's home.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-reference-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

import yaml  # noqa: E402  (after AIRFLOW_HOME)

# Providers whose configuration the reference includes although the venv does not install them (their dependencies
# would grow it a lot): only their get_provider_info() is read, from the pinned wheel (pip download --no-deps, cached).
# cncf.kubernetes: the chart's KubernetesExecutor writes [kubernetes_executor], and the apache/airflow image ships it.
EXTRA_PROVIDERS = {
    "apache-airflow-providers-cncf-kubernetes": ("10.25.0", "airflow/providers/cncf/kubernetes/get_provider_info.py"),
}

TYPES = {"string", "integer", "float", "boolean"}


def fail(message):
    sys.exit(f"airflow-reference: {message}")


def one_line(text):
    return " ".join(str(text).split()) if text else None


def add_sections(sections, package, config):
    """Adds a package's sections; two packages describing the same section merge their options."""
    for name, section in (config or {}).items():
        entry = sections.setdefault(name, {"package": package, "options": {}})
        if entry["package"] != package:
            entry["package"] = f"{entry['package']}, {package}"
        for key, option in (section.get("options") or {}).items():
            kind = option.get("type")
            if kind not in TYPES:
                fail(f"[{name}] {key} of {package} has type {kind!r}, not one of {sorted(TYPES)}")
            default = option.get("default")
            out = {"type": kind, "default": None if default is None else str(default)}
            if option.get("sensitive"):
                out["sensitive"] = True
            if option.get("version_deprecated") or option.get("deprecation_reason"):
                out["deprecated"] = {
                    "since": option.get("version_deprecated"),
                    "reason": one_line(option.get("deprecation_reason")),
                }
            entry["options"][key] = out


def wheel_provider_info(package, version, module_path):
    """get_provider_info() of a provider wheel, without installing it."""
    cache = Path(os.environ.get("CDK8S_AIRFLOW_CACHE", Path.home() / ".cache" / "cdk8s-airflow")) / "airflow-reference"
    cache.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_")
    wheels = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary", ":all:", "--dest", str(cache), f"{package}=={version}"],
            check=True, stdout=sys.stderr,
        )
        wheels = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        fail(f"pip download {package}=={version} gave no wheel in {cache}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        source = wheel.read(module_path).decode("utf-8")
    scope = {}
    exec(compile(source, f"{wheels[0].name}/{module_path}", "exec"), scope)  # a generated module: one literal dict
    return scope["get_provider_info"]()


def main():
    import airflow

    airflow_version = importlib.metadata.version("apache-airflow")
    packages = {"apache-airflow": airflow_version}
    sections = {}
    config_yml = Path(airflow.__file__).parent / "config_templates" / "config.yml"
    add_sections(sections, "apache-airflow", yaml.safe_load(config_yml.read_text(encoding="utf-8")))

    for entry_point in importlib.metadata.entry_points(group="apache_airflow_provider"):
        info = entry_point.load()()
        package = info["package-name"]
        packages[package] = importlib.metadata.version(package)
        add_sections(sections, package, info.get("config"))
    for package, (version, module_path) in EXTRA_PROVIDERS.items():
        if package in packages:
            continue
        info = wheel_provider_info(package, version, module_path)
        packages[package] = version
        add_sections(sections, package, info.get("config"))

    from airflow.cli.commands.config_command import CONFIGS_CHANGES
    from airflow.configuration import AirflowConfigParser

    def known(path):
        section, key = path.rsplit(".", 1)  # section names may hold a dot ([common.io]), keys never do
        return key in sections.get(section, {}).get("options", {})

    retired = {}
    # Old names Airflow still reads, with a DeprecationWarning: (new section, new key) -> (old section, old key, since).
    for (section, key), (old_section, old_key, since) in AirflowConfigParser.deprecated_options.items():
        old = f"{old_section}.{old_key}"
        if not known(old):
            retired[old] = {"status": "deprecated", "since": since, "replacement": f"{section}.{key}"}
    if AirflowConfigParser.deprecated_sections:
        fail(f"Airflow renames whole sections now ({AirflowConfigParser.deprecated_sections}): teach this script and the reference")
    # airflow config lint: options renamed or removed in Airflow 3. Changes of a value or a default are not names.
    for change in CONFIGS_CHANGES:
        old = f"{change.config.section}.{change.config.option}"
        conditional = change.remove_if_equals is not None or change.is_invalid_if is not None or change.default_change
        if not change.was_removed or conditional or known(old):
            continue
        entry = retired.setdefault(old, {"status": "removed"})
        if change.renamed_to and "replacement" not in entry:
            entry["replacement"] = f"{change.renamed_to.section}.{change.renamed_to.option}"
        if change.suggestion and "reason" not in entry:
            entry["reason"] = one_line(change.suggestion)

    # Follow renames to a name Airflow 3.3.2 describes (webserver.access_logfile -> api.access_logfile -> api.log_config).
    for old, entry in retired.items():
        target, seen = entry.get("replacement"), {old}
        while target and not known(target) and target in retired and target not in seen:
            seen.add(target)
            target = retired[target].get("replacement")
        if target and known(target):
            entry["replacement"] = target
        else:
            entry.pop("replacement", None)

    return {
        "airflow": airflow_version,
        "packages": dict(sorted(packages.items())),
        "sections": {name: sections[name] for name in sorted(sections)},
        "retired": {name: retired[name] for name in sorted(retired)},
    }


def dump(reference):
    """Compact and diffable: one option, one retired name per line."""
    j = lambda x: json.dumps(x, ensure_ascii=True, sort_keys=True)  # noqa: E731
    lines = ["{", f'"airflow": {j(reference["airflow"])},', f'"packages": {j(reference["packages"])},', '"sections": {']
    names = list(reference["sections"])
    for i, name in enumerate(names):
        section = reference["sections"][name]
        lines.append(f'{j(name)}: {{"package": {j(section["package"])}, "options": {{')
        keys = sorted(section["options"])
        lines += [f'  {j(k)}: {j(section["options"][k])}{"," if n < len(keys) - 1 else ""}' for n, k in enumerate(keys)]
        lines.append("}}" + ("," if i < len(names) - 1 else ""))
    lines.append("},")
    lines.append('"retired": {')
    retired = list(reference["retired"].items())
    lines += [f'  {j(k)}: {j(v)}{"," if n < len(retired) - 1 else ""}' for n, (k, v) in enumerate(retired)]
    lines += ["}", "}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    text = dump(main())
    json.loads(text)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
