"""The browser's proof verifier (web/public/static/verify.js) in Debian's Chromium: it
accepts every valid test vector and rejects every invalid one by the rule the index names,
like the two Python verifiers (tests/test_proof_vectors.py)."""

from __future__ import annotations

import base64
import json
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import civicarchive

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "docs" / "proof-vectors"
INDEX = json.loads((VECTORS / "index.json").read_text())
SCRIPT = Path(civicarchive.__file__).parent / "web" / "public" / "static" / "verify.js"

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture(scope="module")
def page(tmp_path_factory, chromium):
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(VECTORS, site / "vectors")
    shutil.copy(SCRIPT, site / "verify.js")
    (site / "index.html").write_text('<!doctype html><title>verify</title>'
                                     '<script src="verify.js"></script>')
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tab = chromium.new_page()
    tab.goto(f"http://127.0.0.1:{server.server_port}/index.html")
    yield tab
    tab.close()
    server.shutdown()


CHECK = """async ([file, key]) => {
  const bytes = new Uint8Array(await (await fetch("vectors/" + file)).arrayBuffer());
  const trusted = key ? CivicProof.decodeBase64(key, "key") : null;
  try { const r = await CivicProof.verifyBytes(bytes, trusted); return {ok: true, r}; }
  catch (e) { return {ok: false, rule: e.rule || null, message: String(e)}; }
}"""


@pytest.mark.parametrize("vector", INDEX["valid"], ids=lambda v: v["file"])
def test_verify_js_accepts_every_valid_vector(page, vector):
    result = page.evaluate(CHECK, [vector["file"], INDEX["public_key"]])
    assert result["ok"], result
    proof = json.loads((VECTORS / vector["file"]).read_text())
    assert result["r"]["version"] == str(proof["version_id"])
    assert result["r"]["trusted"] is True


@pytest.mark.parametrize("vector", INDEX["invalid"], ids=lambda v: v["file"])
def test_verify_js_rejects_every_invalid_vector_by_its_rule(page, vector):
    result = page.evaluate(CHECK, [vector["file"], INDEX["public_key"]])
    assert not result["ok"] and result["rule"] == vector["rule"], result


def test_verify_js_without_a_published_key_still_checks_the_signature(page):
    result = page.evaluate(CHECK, ["valid/post.json", None])
    assert result["ok"] and result["r"]["trusted"] is False
    other = base64.b64encode(bytes(32)).decode()
    refused = page.evaluate(CHECK, ["valid/post.json", other])
    assert refused["rule"] == "key-trusted"
