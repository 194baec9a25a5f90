#!/usr/bin/env bash
# build-hydra.sh builds ORY Hydra v2.3.0 for the end-to-end suite and prints
# the binary's path. The binary lives in the Go build cache directory, so a
# second run on the same machine reuses it; HYDRA_BIN overrides the path.
#
# Hydra's go.mod uses replace directives, so `go install` cannot build it;
# the tools module next to this script repeats the one replace that matters
# and is built with GOWORK=off. cgo (gcc) is needed for SQLite, which backs
# DSN=memory.
set -euo pipefail

version=v2.3.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${HYDRA_BIN:-$(go env GOCACHE)/securegen-hydra/${version}/hydra}"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$(dirname "$bin")"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(
	cd "$here/tools"
	GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=1 \
		go build -trimpath -tags sqlite,sqlite_omit_load_extension \
		-o "$tmp" github.com/ory/hydra/v2
) >&2
mv -f "$tmp" "$bin"
echo "$bin"
