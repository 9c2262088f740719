"""The shipped deployment files are valid: deploy/nginx.conf for Debian's nginx (with and
without its TLS lines), deploy/alliances@.service for systemd.

``reliability.nginx`` and ``reliability.deploy`` fill in what differs here (ports, log and
temporary folders, the certificate, the path of ``alliances``) and nothing else;
tests/browser/test_proxy.py runs the same files in front of two servers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reliability import deploy, nginx

from alliances.testing import free_port


def test_the_shipped_nginx_configuration_is_valid(tmp_path):
    conf = nginx.render(tmp_path / "nginx", [free_port(), free_port()], free_port())

    result = nginx.check(conf)

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    site = (tmp_path / "nginx" / "alliances.conf").read_text(encoding="utf-8")
    assert "hash $alliances_route consistent;" in site  # sticky by cookie, not ip_hash
    assert "proxy_set_header Upgrade $http_upgrade;" in site


def test_the_commented_tls_lines_are_valid_once_switched_on(tmp_path):
    certificate, key = nginx.self_signed(tmp_path / "tls")
    tls = nginx.Tls(certificate, key, free_port())
    conf = nginx.render(tmp_path / "nginx", [free_port()], free_port(), tls)

    result = nginx.check(conf)

    assert result.returncode == 0, result.stderr
    site = (tmp_path / "nginx" / "alliances.conf").read_text(encoding="utf-8")
    assert f"listen 127.0.0.1:{tls.port} ssl;" in site
    assert f"ssl_certificate     {certificate};" in site


def test_nginx_refuses_a_broken_configuration(tmp_path):
    # the check itself can fail: a directive nginx does not know
    conf = nginx.render(tmp_path / "nginx", [free_port()], free_port())
    site = tmp_path / "nginx" / "alliances.conf"
    site.write_text(site.read_text().replace("proxy_buffering off;", "proxy_bufering off;"))

    result = nginx.check(conf)

    assert result.returncode != 0
    assert 'unknown directive "proxy_bufering"' in result.stderr


def test_rendering_fails_loudly_when_the_shipped_file_changes_shape():
    text = nginx.NGINX_CONF.read_text(encoding="utf-8")

    with pytest.raises(ValueError, match="upstream alliances"):
        nginx.site_config([5006], 8080, Path("/tmp"), text=text.replace("upstream", "upstrem"))
    no_listen = text.replace("listen 80;", "").replace("listen [::]:80;", "")
    with pytest.raises(ValueError, match="listen 80"):
        nginx.site_config([5006], 8080, Path("/tmp"), text=no_listen)


def test_the_systemd_unit_is_valid(tmp_path):
    if shutil.which("systemd-analyze") is None:  # Debian's systemd; absent from slim images
        pytest.skip("systemd-analyze is not installed (`apt-get install systemd`)")
    executable = Path(sys.executable).with_name("alliances")
    unit = tmp_path / "alliances@.service"
    unit.write_text(deploy.unit_file(str(executable)), encoding="utf-8")

    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "alliances@5006.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # verify exits 0 on unknown keys and bad values too: it prints them
    assert result.returncode == 0, result.stderr
    assert "alliances@" not in result.stderr, result.stderr


def test_the_unit_runs_alliances_serve_behind_the_proxy():
    options = deploy.unit_serve_options("dashboards.example.org")

    assert options == [
        "--allow-websocket-origin",
        "dashboards.example.org",
        "--use-xheaders",
    ]
    env = deploy.SERVICE.with_name("alliances.env").read_text(encoding="utf-8")
    assert "ALLIANCES_ORIGIN=" in env  # what ${ALLIANCES_ORIGIN} in ExecStart reads
    assert "#PANEL_COOKIE_SECRET=" in env  # a placeholder, never a secret
