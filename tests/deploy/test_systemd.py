"""deploy/outsourcebot@.service: systemd accepts it, and its ExecStart runs as it would under systemd."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_DIR

UNIT = REPO_DIR / "deploy" / "outsourcebot@.service"
INSTALLED_EXE = "/opt/outsourcebot/.venv/bin/outsourcebot"
EXE = Path(sys.executable).parent / "outsourcebot"


def service(instance: str) -> dict[str, list[str]]:
    """The unit's [Service] keys (each with every value it is given), `%i` replaced by `instance`."""
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").split("[Service]", 1)[1].split("\n[", 1)[0].splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip().replace("%i", instance))
    return values


def unit_for_this_machine(folder: Path) -> Path:
    """The unit with ExecStart pointing at this venv's outsourcebot (verify checks that it is executable)."""
    text = UNIT.read_text(encoding="utf-8")
    assert text.count(INSTALLED_EXE) == 1
    target = folder / UNIT.name
    target.write_text(text.replace(INSTALLED_EXE, str(EXE)), encoding="utf-8")
    return target


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    unit = unit_for_this_machine(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit.with_name("outsourcebot@shop-a.service"))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stdout + done.stderr
    # verify does complain about what a typo would do here (it still exits 0 for an unknown key).
    unit.write_text(unit.read_text(encoding="utf-8").replace("Restart=on-failure", "Restart=on-failures"))
    bad = subprocess.run(
        ["systemd-analyze", "verify", str(unit.with_name("outsourcebot@shop-a.service"))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "restart specifier" in bad.stderr


def test_the_units_command_stops_with_status_2_on_a_configuration_error(tmp_path: Path) -> None:
    """Run ExecStart as systemd would (its Environment=, an env file without tokens, its working folder).

    Status 2 is what RestartPreventExitStatus names, so systemd does not restart a bot that
    cannot start; a crash (any other status) is restarted.
    """
    keys = service("shop-a")
    assert keys["Restart"] == ["on-failure"] and keys["RestartPreventExitStatus"] == ["2"]
    assert keys["ExecStart"] == [f"{INSTALLED_EXE} serve"]
    assert keys["Environment"] == ["OUTSOURCEBOT_DATA_DIR=/var/lib/outsourcebot/shop-a"]
    assert keys["StateDirectory"] == ["outsourcebot/shop-a"] and keys["EnvironmentFile"] == [
        "/etc/outsourcebot/shop-a.env"
    ]
    assert keys["WorkingDirectory"] == ["/var/lib/outsourcebot/shop-a"], "the working folder is the data folder"
    state = tmp_path / "var-lib-outsourcebot-shop-a"
    state.mkdir(mode=0o700)
    env_file = tmp_path / "shop-a.env"
    env_file.write_text("OUTSOURCEBOT_LOG_LEVEL=WARNING\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "OUTSOURCEBOT_DATA_DIR": str(state)}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    done = subprocess.run(
        [str(EXE), *keys["ExecStart"][0].split()[1:]], capture_output=True, text=True, env=env, cwd=state, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("configuration error: no platform is configured")
    assert "Traceback" not in done.stderr
