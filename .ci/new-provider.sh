#!/usr/bin/env bash
# The "Adding a provider" recipe of docs/contributing.md, carried out for real. In a scratch clone of HEAD, Acme —
# the provider that otherwise exists only in tests/fixtures/providers/acme (its own HMAC-SHA256 header scheme and
# `{success, errorCode, errorMessage, result}` envelope, its purchase flow and its callback format) — is added as a
# real provider, all its layers, by changing exactly the five hand-written files docs/contributing.md lists:
#   1. specs/acme.yaml            the spec (the fixture's, its Rust files named as the recipe says)
#   2. specs/acme.rs              its scheme, codec and credential kind
#   3. specs/acme.flow.rs         its purchase flow (sourcing_buy::PurchaseFlow + registration)
#   4. specs/acme.callbacks.rs    its callback format (sourcing_webhooks::CallbackFormat + factory)
#   5. vendor-docs/catalogue.md   its endpoint rows
# Its registration is regen's output, not a hand edit: `cargo xtask regen` generates generated/acme, then (in the
# same run, after the crate exists: cargo loads every dependency's manifest) the registry's lines —
# crates/registry/src/kits.rs (its `Kit` line, with its crate's flow and callbacks) and, between the marker
# comments of crates/registry/Cargo.toml, its dependency and its `unconfirmed-endpoints` entry. The script checks
# that nothing else changed and that `regen --check` then holds. The CLI is built with it, and the built
# `sourcing` is driven through every layer: `sourcing --sandbox acme order-detail` answered by the embedded
# sandbox (signed by Acme's scheme and verified by it, decoded through Acme's codec); `buy status --provider acme`
# read through Acme's flow; `webhooks --provider acme` receiving with Acme's format; `mcp` serving its tools and
# flow. Uses $CARGO_TARGET_DIR when set (dependencies are shared with the main build).
#   .ci/new-provider.sh [CLEAN_CLONE]     (default: a fresh clone of HEAD in a temporary folder)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURE="$ROOT/tests/fixtures/providers/acme"
ORDER=2257455039610311973
if [ $# -gt 0 ]; then
    # A clean clone given by the caller (.ci/run passes its fresh clone, whose builds are then reused).
    cd "$1"
    [ -z "$(git status --porcelain)" ] || { echo "new-provider: $1 is not a clean checkout" >&2; exit 1; }
else
    SCRATCH=$(mktemp -d)
    trap 'rm -rf "$SCRATCH"' EXIT
    git clone -q --no-local "$ROOT" "$SCRATCH/clone"
    cd "$SCRATCH/clone"
fi

fail() { echo "new-provider: $*" >&2; exit 1; }
# The files changed in the clone, outside generated/ (regen's crates), sorted, space-separated.
changed() { git status --porcelain --untracked-files=all | awk '{ print $2 }' | grep -v '^generated/' | sort | tr '\n' ' '; }

for line in '    source: extension.rs' '    flow: flow.rs' '    callbacks: callbacks.rs'; do
    grep -qxF "$line" "$FIXTURE/acme.yaml" || fail "acme.yaml no longer has the line: $line"
done
sed -e 's/^    source: extension.rs$/    source: acme.rs/' -e 's/^    flow: flow.rs$/    flow: acme.flow.rs/' \
    -e 's/^    callbacks: callbacks.rs$/    callbacks: acme.callbacks.rs/' "$FIXTURE/acme.yaml" > specs/acme.yaml
cp "$FIXTURE/extension.rs" specs/acme.rs
cp "$FIXTURE/flow.rs" specs/acme.flow.rs
cp "$FIXTURE/callbacks.rs" specs/acme.callbacks.rs
cat "$FIXTURE/catalogue.md" >> vendor-docs/catalogue.md

# The hand-written files: Acme's own, nothing in the registry.
hand=$(changed)
expected='specs/acme.callbacks.rs specs/acme.flow.rs specs/acme.rs specs/acme.yaml vendor-docs/catalogue.md '
[ "$hand" = "$expected" ] || fail "the recipe changed [$hand], expected [$expected]"
echo "new-provider: 5 hand-written files changed: $hand"

# One regen writes the crate, then the registry's lines naming it (on this clean clone: the registry does not
# name acme yet, so cargo can build the xtask).
cargo xtask regen
[ -f generated/acme/src/extension.rs ] || fail "regen did not generate generated/acme"
after=$(changed)
expected_after='crates/registry/Cargo.toml crates/registry/src/kits.rs specs/acme.callbacks.rs specs/acme.flow.rs specs/acme.rs specs/acme.yaml vendor-docs/catalogue.md '
[ "$after" = "$expected_after" ] || fail "after regen [$after] changed, expected [$expected_after]"
kit='        Kit::new(&acme::operations::PROVIDER).with_flow(acme::flow::flow()).with_callbacks(acme::callbacks::FACTORY),'
[ "$(grep -cxF -- "$kit" crates/registry/src/kits.rs)" = 1 ] || fail "regen wrote no Acme kit line: $kit"
dep='acme = { path = "../../generated/acme", version = "0.2.0", default-features = false }'
[ "$(grep -cxF -- "$dep" crates/registry/Cargo.toml)" = 1 ] || fail "regen wrote no Acme dependency: $dep"
[ "$(grep -cxF -- '    "acme/unconfirmed-endpoints",' crates/registry/Cargo.toml)" = 1 ] \
    || fail "regen did not add acme to the unconfirmed-endpoints feature"
# The registry's diff is Acme's lines only (three added, none removed).
added=$(git diff --numstat -- crates/registry | awk '{ a += $1; r += $2 } END { print a "+" r "-" }')
[ "$added" = "3+0-" ] || fail "regen changed the registry by $added lines, expected 3 added: $(git diff -- crates/registry)"
echo "new-provider: cargo xtask regen registered acme (crates/registry/src/kits.rs, crates/registry/Cargo.toml)"

cargo xtask regen --check
cargo build -q -p sourcing-cli
BIN="${CARGO_TARGET_DIR:-target}/debug/sourcing"
"$BIN" --help | grep -q '^  acme ' || fail "sourcing --help does not list acme"
answer=$("$BIN" --sandbox acme order-detail --order-id "$ORDER")
echo "$answer" | grep -q "\"orderId\": \"$ORDER\"" || fail "unexpected answer: $answer"
echo "new-provider: sourcing --sandbox acme order-detail answered: $(echo "$answer" | tr -d ' \n')"

# Its purchase flow: `buy status` reads the order through Acme's flow (its `order_detail`).
status=$("$BIN" --sandbox buy status --provider acme --order-id "$ORDER")
echo "$status" | grep -Eq "\"order_id\": ?\"$ORDER\"" || fail "buy status through Acme's flow: $status"
echo "new-provider: sourcing --sandbox buy status --provider acme answered through Acme's flow"

# Its callbacks: `sourcing webhooks --provider acme` receives with Acme's format (a forged push is refused 401).
LOG=$(mktemp)
ACME_SECRET=sandbox-acme-secret "$BIN" webhooks --provider acme --port 0 > /dev/null 2> "$LOG" &
RECEIVER_PID=$!
for _ in $(seq 1 100); do grep -q 'http://' "$LOG" && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*' "$LOG" | head -1)
[ -n "$URL" ] || { kill "$RECEIVER_PID"; fail "sourcing webhooks --provider acme did not start: $(cat "$LOG")"; }
code=$(python3 - "$URL" <<'PY'
import sys, urllib.request, urllib.error
body = b'{"event": "order.paid", "timestamp": "1", "payload": "{}", "signature": "00"}'
request = urllib.request.Request(sys.argv[1], data=body, headers={"content-type": "application/json"})
try:
    print(urllib.request.urlopen(request, timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
)
kill "$RECEIVER_PID"
[ "$code" = 401 ] || fail "a forged Acme push was answered $code, not 401"
echo "new-provider: sourcing webhooks --provider acme refused a forged push with 401"

# MCP: Acme's operations are tools and the workflow tools take it as a provider.
tools=$(printf '%s\n' \
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"ci","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' | "$BIN" --sandbox mcp --toolsets all 2>/dev/null)
echo "$tools" | grep -q '"acme_order_detail"' || fail "sourcing mcp lists no acme_order_detail"
echo "$tools" | grep -q '"acme"' || fail "sourcing mcp's workflow tools do not take acme"
echo "new-provider: sourcing --sandbox mcp serves Acme's tools and its flow"
