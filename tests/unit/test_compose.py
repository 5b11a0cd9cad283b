"""docker-compose.yml parses and is wired consistently (no Docker engine runs here)."""

import re

import yaml

from coach.config import REPO_DIR

COMPOSE = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_every_process_of_the_design_is_a_service() -> None:
    assert {"rasa", "actions", "scheduler", "portal", "postgres", "redis"} <= set(SERVICES)


def test_long_running_services_have_health_checks() -> None:
    for name in ("rasa", "actions", "portal", "postgres", "redis"):
        check = SERVICES[name]["healthcheck"]["test"]
        assert check[0] in ("CMD", "CMD-SHELL") and len(check) > 1, name


def test_dependencies_exist_and_wait_for_health() -> None:
    for name, service in SERVICES.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{dependency} has no healthcheck"


def test_build_files_and_mounted_files_exist() -> None:
    for service in SERVICES.values():
        if "build" in service:
            assert (REPO_DIR / service["build"]["dockerfile"]).exists()
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_DIR / source).exists(), source


def test_rasa_gets_every_variable_its_endpoints_file_uses() -> None:
    endpoints = (REPO_DIR / "docker/endpoints.yml").read_text()
    needed = set(re.findall(r"\$\{(\w+)\}", endpoints))
    assert needed <= set(SERVICES["rasa"]["environment"])
    assert "redis" in endpoints and "postgresql" in endpoints


def test_secrets_are_required_from_the_environment_not_written_here() -> None:
    text = (REPO_DIR / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "COACH_SECRET_KEY", "RASA_TOKEN"):
        assert f"${{{secret}:?" in text


def test_spool_is_one_volume_shared_by_its_writers_and_its_reader() -> None:
    """A red flag spooled by the action server or the Rasa server is replayed by the scheduler:
    all three mount the same volume at SPOOL_DIR."""
    for name in ("actions", "rasa", "scheduler"):
        service = SERVICES[name]
        environment = service["environment"]
        spool_dir = environment["SPOOL_DIR"]
        assert f"spool:{spool_dir}" in service["volumes"], name
    assert "spool" in COMPOSE["volumes"]
    assert "media:/var/lib/coach/media" in SERVICES["scheduler"]["volumes"]  # clip retention


def test_production_needs_a_duty_inbox() -> None:
    text = (REPO_DIR / "docker-compose.yml").read_text()
    assert "${CLINIC_DUTY_EMAIL:?" in text
    assert SERVICES["scheduler"]["environment"]["COACH_ENV"] == "production"


def test_connectors_and_actions_share_the_media_volume_and_the_signing_key() -> None:
    def media(name: str) -> set[str]:
        volumes = SERVICES[name].get("volumes") or []
        return {":".join(v.split(":")[:2]) for v in volumes if v.startswith("media:")}

    assert media("rasa") and media("rasa") == media("actions") == media("portal")
    assert media("webchat") == media("rasa")  # web chat uploads reach the action server
    assert not SERVICES["webchat"]["volumes"][0].endswith(":ro")
    rasa_env = SERVICES["rasa"]["environment"]
    assert rasa_env["MEDIA_DIR"] == "/var/lib/coach/media"
    assert "COACH_SECRET_KEY:?" in rasa_env["COACH_SECRET_KEY"]


def test_the_rasa_api_needs_its_token_and_has_no_wildcard_cors() -> None:
    command = SERVICES["rasa"]["command"]
    # "--auth-token=VALUE": a token that starts with "-" is still the option's value
    assert any(arg.startswith("--auth-token=${RASA_TOKEN:?") for arg in command)
    assert "--cors" not in command
