#!/usr/bin/env bash
# Create (or refresh) the NetBox venv used by the exposure lab.
#
#   lab/netbox/install.sh            # venv at <repo>/.venv-netbox
#   NETBOX_VENV=/path lab/netbox/install.sh
#   NETBOX_PYTHON=/path/to/python3.13 lab/netbox/install.sh
#
# Idempotent: when the venv exists and was built from the same requirements.txt (and the same
# interpreter), nothing is done; otherwise it is rebuilt from scratch. NetBox 4.7 needs
# Python >= 3.12, so the venv is made from pyenv's 3.13.0, else the newest pyenv 3.12.x.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${NETBOX_VENV:-$repo/.venv-netbox}"
req="$here/requirements.txt"
marker="$venv/.exposure-lab-requirements.sha256"

find_python() {
    if [[ -n "${NETBOX_PYTHON:-}" ]]; then
        echo "$NETBOX_PYTHON"
        return
    fi
    local candidate
    if [[ -x /root/.pyenv/versions/3.13.0/bin/python ]]; then
        echo /root/.pyenv/versions/3.13.0/bin/python
        return
    fi
    # Newest 3.12.x under pyenv.
    candidate="$(ls -d /root/.pyenv/versions/3.12.* 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$candidate" && -x "$candidate/bin/python" ]]; then
        echo "$candidate/bin/python"
        return
    fi
    echo "install.sh: no Python 3.13.0 or 3.12.x found under /root/.pyenv/versions" >&2
    echo "            (NetBox 4.7 needs Python >= 3.12; set NETBOX_PYTHON=/path/to/python)" >&2
    exit 1
}

python="$(find_python)"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    echo "install.sh: $python is older than 3.12; NetBox 4.7 cannot run on it" >&2
    exit 1
fi

# The marker covers the requirements, the interpreter and this recipe's version (bump "recipe").
want="$( {
    echo "recipe 2"
    sha256sum "$req" | cut -d' ' -f1
    "$python" -c 'import sys; print(sys.version)'
} | sha256sum | cut -d' ' -f1)"
if [[ -f "$marker" && "$(cat "$marker")" == "$want" && -x "$venv/bin/netbox" ]]; then
    echo "NetBox venv $venv is up to date"
    exit 0
fi

echo "Installing NetBox into $venv with $python"
# Always from scratch: no package of an older requirements.txt or interpreter stays behind.
rm -rf "$venv"
"$python" -m venv "$venv"
# Every package is pinned in requirements.txt, so --no-deps keeps pip from pulling in
# psycopg[c] (NetBox's own requirement, which needs a compiler).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
# Byte-compile now: pip skips it when PYTHONDONTWRITEBYTECODE is set (as it is here), and then
# every `netbox` command and gunicorn start compiles Django and NetBox again (10 s instead of 4).
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
"$venv/bin/python" -m compileall -q -j 0 "$site" >/dev/null || true  # a few test files may not compile
"$venv/bin/netbox" version >/dev/null
echo "$want" > "$marker"
echo "NetBox $("$venv/bin/netbox" version) installed in $venv"
