# Shared by the scripts: where tools live and how the builds are set up.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# cargo-leptos sets these for its builds. Tests run with the same values so
# cargo reuses the build instead of compiling everything again.
export LEPTOS_OUTPUT_NAME=muster
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR=127.0.0.1:3000
export LEPTOS_RELOAD_PORT=3001
export LEPTOS_JS_MINIFY=false
export LEPTOS_HASH_FILES=false

step() { printf '\n==> %s\n' "$*"; }
