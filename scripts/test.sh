#!/usr/bin/env bash
# The whole test suite: installs what the tests need when it is missing, builds, runs every test,
# and ends with a plain totals line: "N passed, N failed[, N skipped][, N files failed]".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh || exit 1
if [ ! -d node_modules/vitest ]; then
  echo "test: installing npm dependencies"
  npm install --no-audit --no-fund || exit 1
fi
npm run build --silent || exit 1

mkdir -p .test-results
rm -f .test-results/vitest.json .test-results/vitest.unhandled-errors.json
# The JSON report leaves out errors raised outside tests; the second reporter records them beside it.
npx vitest run --reporter=default --reporter=json --reporter=./scripts/unhandled-errors-reporter.mjs \
  --outputFile.json=.test-results/vitest.json "$@"
status=$?
node scripts/test-totals.mjs .test-results/vitest.json || status=1
exit $status
