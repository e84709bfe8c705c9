#!/usr/bin/env bash
# The main job end to end on a fresh machine with only the .NET SDK and Node.js: installs the pinned
# Azurite, starts it in memory on free ports, then runs samples/requests.jsonl through BatchFunctions
# (the built-in Mistral emulator, or the real API when MISTRAL_API_KEY is set), shows progress, prints
# the summary and downloads the results. Stops everything it started, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")"
input="${1:-samples/requests.jsonl}"

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing pinned tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

log="$(mktemp)"
azurite_pid=""
run_pid=""
cleanup() {
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    # batchfn saves the batch's state and stops on SIGTERM; running it again resumes the batch.
    kill -TERM "$run_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$run_pid" 2>/dev/null || true
  fi
  if [ -n "$azurite_pid" ] && kill -0 "$azurite_pid" 2>/dev/null; then
    # Azurite's graceful shutdown can linger for minutes; its storage is in memory, so a short grace is enough.
    kill "$azurite_pid" 2>/dev/null || true
    for _ in $(seq 1 10); do kill -0 "$azurite_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$azurite_pid" 2>/dev/null || true
    wait "$azurite_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting Azurite (in memory, free loopback ports)"
node_modules/.bin/azurite --inMemoryPersistence --skipApiVersionCheck --disableProductStyleUrl \
  --blobHost 127.0.0.1 --blobPort 0 --queueHost 127.0.0.1 --queuePort 0 --tableHost 127.0.0.1 --tablePort 0 >"$log" 2>&1 &
azurite_pid=$!
for _ in $(seq 1 100); do
  [ "$(grep -c 'successfully listening' "$log" || true)" -ge 3 ] && break
  kill -0 "$azurite_pid" 2>/dev/null || { cat "$log" >&2; echo "Azurite did not start" >&2; exit 1; }
  sleep 0.2
done
port() { sed -n "s/.*Azurite $1 service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p" "$log" | head -n 1; }
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export BATCHFN_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$(port Blob)/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$(port Queue)/devstoreaccount1;TableEndpoint=http://127.0.0.1:$(port Table)/devstoreaccount1;"

echo "== building batchfn"
# No build servers left behind: the demo stops everything it started.
dotnet build src/BatchFunctions.Cli -c Release -nologo -v quiet -nodeReuse:false -p:UseSharedCompilation=false
echo "== running $input"
# In the background so that Ctrl-C reaches this script's trap, which stops batchfn and Azurite.
# Each run keeps its own folder, so that an earlier run's results are never overwritten.
out="${BATCHFN_OUT:-batchfn-results/demo-$(date -u +%Y%m%d-%H%M%S)}"
dotnet src/BatchFunctions.Cli/bin/Release/net10.0/batchfn.dll run "$input" --out "$out" &
run_pid=$!
set +e
wait "$run_pid"
status=$?
set -e
run_pid=""
if [ "$status" -eq 0 ]; then
  echo
  echo "Next:"
  echo "  head -n 3 $out/results.jsonl    # the answers, in input order"
  echo "  ./batchfn validate my-requests.jsonl    # check a file of your own (export PATH=\"\$PWD:\$PATH\" to type batchfn)"
  echo "  ./demo.sh my-requests.jsonl    # and run it end to end the same way"
  echo "  ./batchfn serve    # the runner as a service (then: ./batchfn submit my-requests.jsonl --wait); README 'Deploying to Azure' to deploy"
fi
exit "$status"
