#!/usr/bin/env bash
# Builds the Go oracle offline from Debian's packages, in GOPATH mode (module mode
# fails: several Debian source folders have no go.mod). Usage: build.sh OUT_BINARY
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/github.com/Masterminds/sprig" "$gopath/src/github.com/Masterminds/semver" "$gopath/src/oracle"
# Debian installs sprig and semver without their /v3 suffix.
ln -s /usr/share/gocode/src/github.com/Masterminds/sprig "$gopath/src/github.com/Masterminds/sprig/v3"
ln -s /usr/share/gocode/src/github.com/Masterminds/semver "$gopath/src/github.com/Masterminds/semver/v3"
cp "$here"/*.go "$gopath/src/oracle/"
go=go
[ -x /usr/lib/go-1.19/bin/go ] && go=/usr/lib/go-1.19/bin/go
cd "$gopath/src/oracle"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= GOCACHE="${GOCACHE:-/tmp/airlock-oracle-gocache}" "$go" build -o "$out" .
