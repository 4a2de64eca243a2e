#!/usr/bin/env bash
# The README's "Adding a provider" recipe, carried out for real. In a scratch clone of HEAD, Acme — the provider
# that otherwise exists only in tests/fixtures/providers/acme (its own HMAC-SHA256 header scheme and
# `{success, errorCode, errorMessage, result}` envelope) — is added as a real provider by changing exactly the five
# hand-written files the README lists:
#   1. specs/acme.yaml   the spec (the fixture's, its Rust file named as the README says)
#   2. specs/acme.rs     its scheme, codec and credential kind
#   3. vendor-docs/catalogue.md   its endpoint rows
#   4. crates/registry/Cargo.toml its generated crate as a dependency
#   5. crates/registry/src/lib.rs one line in kits()
# `cargo xtask regen` generates generated/acme (before the registry names it), the CLI is built with it, and
# `sourcing --sandbox acme order-detail` is answered by the embedded sandbox: signed by Acme's scheme and
# verified by it, decoded through Acme's codec. Uses $CARGO_TARGET_DIR when set (dependencies are shared with the main build).
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
# Insert $3 after the line $2 of file $1; the line must be there exactly once.
insert_after() {
    [ "$(grep -cxF -- "$2" "$1")" = 1 ] || fail "$1 no longer has the line: $2"
    awk -v anchor="$2" -v line="$3" '{ print } $0 == anchor { print line }' "$1" > "$1.new"
    mv "$1.new" "$1"
}

grep -qx '    source: extension.rs' "$FIXTURE/acme.yaml" || fail "acme.yaml no longer names extension.rs"
sed 's/^    source: extension.rs$/    source: acme.rs/' "$FIXTURE/acme.yaml" > specs/acme.yaml
cp "$FIXTURE/extension.rs" specs/acme.rs
cat "$FIXTURE/catalogue.md" >> vendor-docs/catalogue.md
# The generated crate exists before the registry names it (cargo loads every dependency's manifest).
cargo xtask regen
[ -f generated/acme/src/extension.rs ] || fail "regen did not generate generated/acme"
insert_after crates/registry/Cargo.toml \
    'xportcn = { path = "../../generated/xportcn", version = "0.2.0", default-features = false }' \
    'acme = { path = "../../generated/acme", version = "0.2.0", default-features = false }'
insert_after crates/registry/src/lib.rs '        Kit::new(&xportcn::operations::PROVIDER).with_flow(XPORTCN),' \
    '        Kit::new(&acme::operations::PROVIDER),'

# Hand-written files only: generated/ is regen's output.
changed=$(git status --porcelain --untracked-files=all | awk '{ print $2 }' | grep -v '^generated/' | sort | tr '\n' ' ')
expected='crates/registry/Cargo.toml crates/registry/src/lib.rs specs/acme.rs specs/acme.yaml vendor-docs/catalogue.md '
[ "$changed" = "$expected" ] || fail "the recipe changed [$changed], expected [$expected]"
echo "new-provider: 5 hand-written files changed: $changed"

cargo xtask regen --check
cargo build -q -p sourcing-cli
BIN="${CARGO_TARGET_DIR:-target}/debug/sourcing"
"$BIN" --help | grep -q '^  acme ' || fail "sourcing --help does not list acme"
answer=$("$BIN" --sandbox acme order-detail --order-id "$ORDER")
echo "$answer" | grep -q "\"orderId\": \"$ORDER\"" || fail "unexpected answer: $answer"
echo "new-provider: sourcing --sandbox acme order-detail answered: $(echo "$answer" | tr -d ' \n')"
