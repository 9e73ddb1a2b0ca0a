#!/usr/bin/env bash
# Installs what is missing, idempotently: a stamp per environment keyed on the hash of its requirements.
#   scripts/install.sh main     .venv       (Python 3.11: everything of ours, from pyproject.toml + requirements.lock)
#   scripts/install.sh rasa     .venv-rasa  (Python 3.10: only Rasa, from bot/requirements.txt + bot/requirements.lock)
#   scripts/install.sh browser  Debian's Chromium for the page tests (Playwright drives it; never `playwright install`)
#   scripts/install.sh deploy   kubectl, for rendering deploy/k8s with its built-in Kustomize (tests/deploy)
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {  # find_python 3.11 -> path of a working interpreter of that version
  local want=$1 candidate
  for candidate in "python$want" "$HOME/.pyenv/versions/$want"*/bin/"python$want" "/usr/bin/python$want" \
                   "/usr/local/bin/python$want"; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c "import sys; sys.exit(0 if sys.version_info[:2] == tuple(map(int, '$want'.split('.'))) else 1)" \
         >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  echo "Python $want is needed but not found (tried python$want, ~/.pyenv/versions/$want*)." >&2
  return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

install_main() {
  local stamp=".venv/.installed-$(stamp_of pyproject.toml requirements.lock)"
  [ -f "$stamp" ] && return 0
  echo "==> installing .venv (Python 3.11)"
  [ -x .venv/bin/python ] || "$(find_python 3.11)" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # PyTorch first, as the CPU build this machine keeps on disk; otherwise a dependency pulls a CUDA build.
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -c requirements.lock -e ".[dev]"
  rm -f .venv/.installed-*; touch "$stamp"
}

install_rasa() {
  local stamp=".venv-rasa/.installed-$(stamp_of bot/requirements.txt bot/requirements.lock)"
  [ -f "$stamp" ] && return 0
  echo "==> installing .venv-rasa (Python 3.10, Rasa only; about 2 minutes the first time)"
  [ -x .venv-rasa/bin/python ] || "$(find_python 3.10)" -m venv .venv-rasa
  # Without the repo on the path (the Makefile exports PYTHONPATH): there the main project's egg-info would
  # look like a package installed in this environment.
  env -u PYTHONPATH .venv-rasa/bin/pip install -q --upgrade pip
  env -u PYTHONPATH .venv-rasa/bin/pip install -q -c bot/requirements.lock -r bot/requirements.txt
  rm -f .venv-rasa/.installed-*; touch "$stamp"
}

install_browser() {
  # axe-core for the accessibility checks (tests/a11y, from its lock file), Chromium, and the CJK fonts without
  # which the pages' screenshots show Chinese as boxes.
  if [ ! -f tests/a11y/node_modules/axe-core/axe.min.js ]; then
    echo "==> installing axe-core (tests/a11y, npm ci)"
    npm ci --prefix tests/a11y --silent --no-audit --no-fund
  fi
  command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1 && return 0
  echo "==> installing Debian's Chromium and the Noto CJK fonts (for the page tests)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
}

install_deploy() {
  command -v kubectl >/dev/null 2>&1 && return 0
  echo "==> installing Debian's kubernetes-client (kubectl, to render deploy/k8s)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
}

for target in "$@"; do
  case "$target" in
    main) install_main ;;
    rasa) install_rasa ;;
    browser) install_browser ;;
    deploy) install_deploy ;;
    *) echo "unknown target: $target" >&2; exit 2 ;;
  esac
done
