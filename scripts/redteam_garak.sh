#!/usr/bin/env bash
# Red-team a served model with garak, through the safealign monitor so that every probe and every
# answer is stored and judged by the same judges as training (see docs/red-teaming.md).
#
#   scripts/redteam_garak.sh [MONITOR_URL] [MODEL]
#
# Environment: PROBES (default "lmrc,malwaregen"), GENERATIONS (1), MAX_TOKENS (512),
# PARALLEL (16: probe attempts garak sends at once, its --parallel_attempts; garak's own default is one at a time,
# which leaves `safealign serve --batch-size 16` batches of one), PYTHON (the python garak is installed for: the
# project's .venv if present; a separate venv keeps garak's pinned dependencies out of it), REPORT_DIR (runs/garak).
set -euo pipefail

MONITOR_URL="${1:-${MONITOR_URL:-http://127.0.0.1:8080}}"
MONITOR_URL="${MONITOR_URL%/}"
MODEL="${2:-${MODEL:-}}"
PROBES="${PROBES:-lmrc,malwaregen}"
GENERATIONS="${GENERATIONS:-1}"
PARALLEL="${PARALLEL:-16}"
MAX_TOKENS="${MAX_TOKENS:-512}"
REPORT_DIR="${REPORT_DIR:-runs/garak}"
for setting in GENERATIONS PARALLEL MAX_TOKENS; do  # they go into garak's options unquoted, MAX_TOKENS into JSON
  if ! [[ "${!setting}" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: $setting=${!setting} is not a whole number of at least 1. Nothing was sent." >&2
    exit 2
  fi
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

if ! "$PYTHON" -c "import garak" 2>/dev/null; then
  echo "error: garak is not installed for $PYTHON." >&2
  echo "       install it (a large package that pins its own dependencies) in a separate venv:" >&2
  echo "         python3 -m venv ~/garak-venv && ~/garak-venv/bin/pip install garak" >&2
  echo "       and run this script with PYTHON=~/garak-venv/bin/python, or: $PYTHON -m pip install garak" >&2
  echo "       then run this script again. Nothing was sent." >&2
  exit 3
fi

if ! "$PYTHON" - "$MONITOR_URL" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/health", timeout=5)
PY
then
  echo "error: no monitor answers at $MONITOR_URL/health." >&2
  echo "       start one first, e.g.: safealign serve MODEL --port 8000 &" >&2
  echo "                             safealign monitor --upstream http://127.0.0.1:8000 --port 8080 &" >&2
  exit 2
fi

if [[ -z "$MODEL" ]]; then  # the first model the upstream lists, through the monitor
  MODEL="$("$PYTHON" - "$MONITOR_URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1] + "/v1/models"
try:
    models = json.load(urllib.request.urlopen(url, timeout=10))["data"]
    name, reason = (str(models[0]["id"]), None) if models else (None, "it lists no model")
except (OSError, ValueError, LookupError, TypeError) as error:  # refused, a 502 from a down upstream, not a list
    reason = str(error) if isinstance(error, OSError) else f"not a model list: {type(error).__name__}: {error}"
if reason:
    print(f"error: no model name from {url} ({reason}): is the model server behind the monitor up?", file=sys.stderr)
    print("       or name the model: scripts/redteam_garak.sh MONITOR_URL MODEL. Nothing was sent.", file=sys.stderr)
    sys.exit(2)
print(name)
PY
)"
fi

# garak puts a relative --report_prefix under its own data folder (~/.local/share/garak/garak_runs/), where the
# sub-folders do not exist: give it the absolute path.
REPORT_DIR="$(mkdir -p "$REPORT_DIR" && cd "$REPORT_DIR" && pwd)"
# a folder of its own: mktemp's --suffix is GNU's alone (macOS's mktemp refuses it), and -d is everyone's
OPTIONS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/redteam_garak.XXXXXX")"
trap 'rm -rf "$OPTIONS_DIR"' EXIT
OPTIONS="$OPTIONS_DIR/options.json"
# garak's OpenAICompatible defaults send stop=["#", ";"] (answers cut at the first '#' or ';') and
# a short max_tokens (refusals look complete, harmful answers get cut): unset stop, raise max_tokens.
cat > "$OPTIONS" <<JSON
{"openai": {"OpenAICompatible": {
  "uri": "$MONITOR_URL/v1/",
  "api_key": "unused",
  "max_tokens": $MAX_TOKENS,
  "stop": null,
  "suppressed_params": ["stop"],
  "temperature": 0.7
}}}
JSON

echo "garak → $MONITOR_URL (model $MODEL), probes $PROBES, $GENERATIONS generation(s) each, $PARALLEL at once"
OPENAICOMPATIBLE_API_KEY="${OPENAICOMPATIBLE_API_KEY:-unused}" "$PYTHON" -m garak \
  --model_type openai.OpenAICompatible \
  --model_name "$MODEL" \
  --generator_option_file "$OPTIONS" \
  --probes "$PROBES" \
  --generations "$GENERATIONS" \
  --parallel_attempts "$PARALLEL" \
  --report_prefix "$REPORT_DIR/redteam"

echo
echo "garak's own report: $REPORT_DIR/redteam*.report.jsonl / .html (its detectors' verdicts)"
echo "safealign's verdicts on the same exchanges, all of them (a garak hit safealign judged safe is the disagreement to"
echo "read; ?flagged=true would leave it out; needs the monitor's API key):"
# %q: a REPORT_DIR with a space (or a quote) still makes a command that can be pasted
echo "  curl -H \"Authorization: Bearer \$SAFEALIGN_MONITOR_KEY\" '$MONITOR_URL/admin/exchanges.jsonl' > $(printf %q "$REPORT_DIR/safealign.jsonl")"
echo "  open \"$MONITOR_URL/dashboard?key=\$SAFEALIGN_MONITOR_KEY\""
