#!/usr/bin/env bash
# Runs every test of BatchFunctions on a machine with only the .NET SDK and Node.js.
# Installs the pinned Azurite (npm ci), builds the solution, runs each test project and ends with
# "tests: N passed, N failed". Exits non-zero when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
results="$PWD/artifacts/test-results"

if [ ! -x node_modules/.bin/azurite ] || [ ! -f node_modules/@mistralai/mistralai/package.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing pinned tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== building ($configuration)"
dotnet build BatchFunctions.sln -c "$configuration" -nologo -v quiet

rm -rf "$results"
mkdir -p "$results"
status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== testing $name"
  dotnet test "$project" -c "$configuration" --no-build -nologo \
    --results-directory "$results" --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" "$@" || status=1
done

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "no test ran" >&2
  status=1
fi
if [ "$failed" -ne 0 ]; then
  status=1
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
