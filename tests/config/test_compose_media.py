"""docker-compose.yml: the web server and the worker share MEDIA_ROOT (import bundles and reports)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_web_and_worker_mount_one_named_volume_at_media_root():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    media_root = {name: services[name]["environment"]["MEDIA_ROOT"] for name in ("web", "worker")}
    assert media_root == {"web": "/app/var/media", "worker": "/app/var/media"}
    mounts = {
        name: [v for v in services[name].get("volumes", []) if v.endswith(":/app/var/media")] for name in media_root
    }
    assert mounts == {"web": ["media:/app/var/media"], "worker": ["media:/app/var/media"]}
    assert "media" in compose["volumes"]
