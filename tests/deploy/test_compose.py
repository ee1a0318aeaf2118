"""The deployment files, read as Docker Compose and nginx would (no Docker engine here): docker-compose.yml's
replica set, its initiation, the two hubs and nginx in front of them (tools/deploy/nginx.conf)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from pymongo import uri_parser

from hub.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))  # `<<` merged
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
NGINX_CONF = ROOT / "tools" / "deploy" / "nginx.conf"
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")

MONGO_NODES = ("mongo1", "mongo2", "mongo3")
HUBS = ("hub1", "hub2")
SECRET_FROM_ENVIRONMENT = re.compile(r"\$\{HUB_SECRET_KEY:\?[^}]*\}")  # required, no default


def environment(service: str) -> dict[str, str]:
    """A service's environment as a mapping (Compose takes a list of NAME=value too)."""
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def command_text(service: str) -> str:
    command = SERVICES[service].get("command") or []
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


def healthcheck_text(service: str) -> str:
    test = (SERVICES[service].get("healthcheck") or {}).get("test") or []
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


# --- nginx.conf as nginx parses it: directives and blocks -------------------------------------------

Directive = tuple[str, list[str], list["Directive"] | None]  # name, arguments, the block's directives


def parse_nginx(text: str) -> list[Directive]:
    """The directives of an nginx configuration, blocks nested (comments dropped, quotes removed)."""
    tokens = re.findall(r'"[^"]*"|\'[^\']*\'|[{};]|[^\s{};"\']+', re.sub(r"(?m)#.*$", "", text))
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == "}":
                assert not words, f"unterminated directive {words}"
                return directives
            if token == ";":
                directives.append((words[0], words[1:], None))
                words = []
            elif token == "{":
                directives.append((words[0], words[1:], block()))
                words = []
            else:
                words.append(token[1:-1] if token[0] in "\"'" else token)
        assert not words, f"unterminated directive {words}"
        return directives

    return block()


def find(directives: list[Directive], name: str, *args: str) -> list[Directive]:
    return [d for d in directives if d[0] == name and tuple(d[1][:len(args)]) == args]


def one(directives: list[Directive], name: str, *args: str) -> Directive:
    [found] = find(directives, name, *args)
    return found


def value(directives: list[Directive], name: str) -> list[str]:
    return one(directives, name)[1]


NGINX = parse_nginx(NGINX_CONF.read_text(encoding="utf-8"))
HTTP = one(NGINX, "http")[2] or []
[SERVER] = [d[2] or [] for d in find(HTTP, "server")]


def nginx_size(text: str) -> int:
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    return int(text[:-1]) * units[text[-1].lower()] if text[-1].lower() in units else int(text)


def nginx_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", text).groups()  # type: ignore[union-attr]
    return int(number) * units[unit or "s"]


# --- the services -------------------------------------------------------------------------------


def test_the_deployment_has_the_set_its_initiation_two_hubs_nginx_and_the_demo_seed() -> None:
    assert set(SERVICES) == {*MONGO_NODES, "mongo-init", *HUBS, "nginx", "seed"}
    assert SERVICES["seed"]["profiles"] == ["demo"] and SERVICES["seed"]["restart"] == "no"
    assert SERVICES["seed"]["command"] == ["hub", "seed", "--if-empty"]
    assert environment("seed") == environment("hub1")  # it seeds the database the hubs serve
    assert all("profiles" not in SERVICES[s] for s in set(SERVICES) - {"seed"})  # all else starts on `up`


def test_each_mongo_node_is_a_member_of_rs0_with_its_own_volume_and_a_health_check() -> None:
    volumes = set()
    for node in MONGO_NODES:
        service = SERVICES[node]
        assert service["image"] == "mongo:7.0"
        command = service["command"]
        assert command[command.index("--replSet") + 1] == "rs0" and "--bind_ip_all" in command
        assert "mongosh" in healthcheck_text(node) and "ping" in healthcheck_text(node)
        [volume] = [v for v in service["volumes"] if v.endswith(":/data/db")]
        volumes.add(volume.split(":")[0])
    assert len(volumes) == len(MONGO_NODES) and volumes <= set(COMPOSE["volumes"])  # named, one per node


def test_the_init_service_initiates_rs0_with_exactly_the_three_nodes_once() -> None:
    init = SERVICES["mongo-init"]
    assert init["restart"] == "no"  # one-shot: the hubs wait for it to exit 0
    assert {n: c["condition"] for n, c in init["depends_on"].items()} == {n: "service_healthy" for n in MONGO_NODES}
    command = init["command"]
    assert command[0] == "mongosh" and command[command.index("--host") + 1] == "mongo1:27017"
    script = command_text("mongo-init")
    assert "rs.initiate(" in script and re.search(r"_id:\s*'rs0'", script)
    assert sorted(re.findall(r"host:\s*'([^']+)'", script)) == [f"{n}:27017" for n in MONGO_NODES]
    # Idempotent: a set already initiated is left alone, whichever way the server says so.
    assert "'NotYetInitialized'" in script and "'AlreadyInitialized'" in script
    assert "hello" in script and ".primary" in script and "quit(1)" in script  # exits 0 only once a primary is up


def test_both_hubs_name_every_member_and_the_set_and_run_in_production() -> None:
    for hub in HUBS:
        env = environment(hub)
        parsed = uri_parser.parse_uri(env["HUB_MONGODB_URL"])
        assert sorted(parsed["nodelist"]) == [(n, 27017) for n in MONGO_NODES]
        assert parsed["options"]["replicaSet"] == "rs0"
        assert env["HUB_ENV"] == "production"
        assert SECRET_FROM_ENVIRONMENT.fullmatch(env["HUB_SECRET_KEY"])  # `up` fails without it
        assert SERVICES[hub]["depends_on"] == {"mongo-init": {"condition": "service_completed_successfully"}}
        assert "/readyz" in healthcheck_text(hub)
        assert SERVICES[hub]["build"] == "." and SERVICES[hub]["image"] == SERVICES["hub1"]["image"]
        assert "ports" not in SERVICES[hub]  # reached through nginx only
    assert environment("hub1") == environment("hub2")


def test_every_hub_variable_is_a_setting_of_the_hub() -> None:
    fields = set(Settings.model_fields)
    for service in (*HUBS, "seed"):
        unknown = [name for name in environment(service)
                   if not name.startswith("HUB_") or name[4:].split("__")[0].lower() not in fields]
        assert not unknown, f"{service}: not settings of hub.config.Settings: {unknown}"


def test_the_hubs_environment_passes_the_production_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `hub serve` checks before it starts in production, on the compose file's environment."""
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        monkeypatch.delenv(name)
    for name, text in environment("hub1").items():
        monkeypatch.setenv(name, secrets.token_urlsafe(48) if name == "HUB_SECRET_KEY" else text)
    settings = Settings(_env_file=None)
    assert settings.production_problems() == []
    assert settings.proxy_headers
    # Trusted forwarded headers: exactly the compose network, which nginx is on.
    [subnet] = [c["subnet"] for c in COMPOSE["networks"]["hub"]["ipam"]["config"]]
    assert [ipaddress.ip_network(p.strip()) for p in settings.forwarded_allow_ips.split(",")] == [
        ipaddress.ip_network(subnet)]
    assert all(SERVICES[s]["networks"] == ["hub"] for s in SERVICES)


# --- nginx ---------------------------------------------------------------------------------------


def test_nginx_is_the_one_published_port_with_its_config_mounted_read_only() -> None:
    nginx = SERVICES["nginx"]
    assert nginx["image"].startswith("nginx:")
    assert nginx["ports"] == ["8000:8000"]
    assert "./tools/deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert {n: c["condition"] for n, c in nginx["depends_on"].items()} == {h: "service_healthy" for h in HUBS}
    assert [s for s, service in SERVICES.items() if service.get("ports")] == ["nginx"]
    assert value(SERVER, "listen") == ["8000"]


def test_nginx_balances_both_hubs_on_the_port_they_listen_on() -> None:
    upstream = one(HTTP, "upstream", "hub")[2] or []
    port = environment("hub1")["HUB_PORT"]
    assert sorted(d[1][0] for d in find(upstream, "server")) == [f"{hub}:{port}" for hub in HUBS]
    locations = {d[1][-1]: d[2] or [] for d in find(SERVER, "location")}
    assert {"/", "/graphql"} <= set(locations)
    assert all(value(body, "proxy_pass") == ["http://hub"] for path, body in locations.items() if path != "/metrics")


def test_nginx_forwards_the_websocket_upgrade_and_the_client_s_address() -> None:
    headers = {d[1][0].lower(): d[1][1] for d in find(SERVER, "proxy_set_header")}
    assert value(SERVER, "proxy_http_version") == ["1.1"]  # WebSocket upgrades need HTTP/1.1 upstream
    assert headers["upgrade"] == "$http_upgrade"
    connection = headers["connection"]
    [upgrade_map] = [d[2] or [] for d in find(HTTP, "map", "$http_upgrade", connection)]
    assert {d[0]: d[1] for d in upgrade_map}["default"] == ["upgrade"]
    assert headers["x-forwarded-for"] == "$remote_addr"
    assert headers["x-forwarded-proto"] == "$scheme"
    assert headers["host"] == "$host"


def test_nginx_holds_bodies_and_time_to_the_hub_s_own_limits() -> None:
    defaults = Settings(_env_file=None)
    assert nginx_size(value(SERVER, "client_max_body_size")[0]) == defaults.max_body_bytes
    # Longer than the hub's bound on one store operation: nginx never cuts off a request the hub still answers.
    assert nginx_seconds(value(SERVER, "proxy_read_timeout")[0]) > defaults.store_socket_timeout
    graphql = one(SERVER, "location", "=", "/graphql")[2] or []
    assert nginx_seconds(value(graphql, "proxy_read_timeout")[0]) >= 3600  # an idle subscription stays open


def test_the_image_exposes_the_port_the_hubs_listen_on() -> None:
    exposed = re.findall(r"(?m)^EXPOSE\s+(\d+)", DOCKERFILE)
    configured = re.findall(r"HUB_PORT=(\d+)", DOCKERFILE)
    assert exposed == configured == [environment("hub1")["HUB_PORT"]]
    assert "hub1:" + exposed[0] in NGINX_CONF.read_text(encoding="utf-8")


def test_the_nginx_parser_reads_blocks_and_refuses_a_broken_file() -> None:
    parsed = parse_nginx('http { map $a $b { default "x"; "" ""; } server { listen 80; } }  # done')
    assert parsed == [("http", [], [("map", ["$a", "$b"], [("default", ["x"], None), ("", [""], None)]),
                                     ("server", [], [("listen", ["80"], None)])])]
    with pytest.raises(AssertionError):
        parse_nginx("server { listen 80 }")
