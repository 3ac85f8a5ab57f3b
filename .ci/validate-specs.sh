#!/usr/bin/env bash
# Validate every OpenAPI document under spec/ with openapi-spec-validator.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! python3 -c "import openapi_spec_validator" >/dev/null 2>&1; then
  python3 -m pip install --quiet openapi-spec-validator
fi

shopt -s nullglob
specs=(spec/*.yaml)
if [ "${#specs[@]}" -eq 0 ]; then
  echo "no spec/*.yaml files found" >&2
  exit 1
fi

status=0
for spec in "${specs[@]}"; do
  if ! python3 -c "import sys, yaml; yaml.safe_load(open(sys.argv[1]))" "$spec"; then
    echo "$spec: FAILED (not loadable YAML)"
    status=1
    continue
  fi
  if python3 -m openapi_spec_validator "$spec"; then
    :
  else
    echo "$spec: FAILED"
    status=1
  fi
done

exit "$status"
