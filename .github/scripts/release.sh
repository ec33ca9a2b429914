#!/usr/bin/env bash
# The two decisions of a release that are not the image build itself, kept out of the workflow
# so that tests can run them (tests/unit/test_release_files.py):
#
#   release.sh pin-image ACTION_YML IMAGE DIGEST
#       Point the action at the pushed image: replace the line `  image: Dockerfile` under
#       `runs:` with `  image: docker://IMAGE@DIGEST`, and nothing else, and print that
#       reference. Refuses, changing nothing, a digest that is not sha256:<64 hex>, an image name that is not a lowercase
#       registry path, and an action.yml without that line.
#
#   release.sh tags-to-move VERSION
#       Print the tags to move to the release commit, one a line: VERSION (vX.Y.Z or
#       vX.Y.Z-pre), and the major tag vX when VERSION is the highest stable release of vX
#       among the repository's tags (so re-releasing an older patch never moves vX back).
#       Explanations for the job log go to standard error.
set -euo pipefail

die() {
    echo "::error::$*" >&2
    exit 1
}

pin_image() {
    local file="$1" image="$2" digest="$3"
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "not an image digest: '$digest'"
    [[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$ ]] ||
        die "not a lowercase image name: '$image'"
    [[ -f "$file" ]] || die "$file not found"
    local count
    count="$(grep -cx '  image: Dockerfile' "$file" || true)"
    ((count == 1)) || die "expected the line '  image: Dockerfile' once in $file, found $count"
    local ref="docker://$image@$digest" updated
    updated="$(mktemp "$file.XXXXXX")"
    sed "s|^  image: Dockerfile\$|  image: $ref|" "$file" >"$updated"
    mv "$updated" "$file"
    echo "$ref"
}

tags_to_move() {
    local version="$1"
    [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
        die "not a release tag: '$version' (expected vX.Y.Z or vX.Y.Z-pre)"
    echo "$version"
    local major="${version%%.*}"
    if [[ "$version" == *-* ]]; then
        echo "$version is a pre-release: $major stays where it is" >&2
        return
    fi
    local latest
    latest="$({ git tag -l "$major.*.*"; echo "$version"; } |
        grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -uV | tail -n 1)"
    if [[ "$latest" != "$version" ]]; then
        echo "$latest is newer than $version: $major stays where it is" >&2
        return
    fi
    echo "$major"
}

case "${1:-}" in
    pin-image)
        (($# == 4)) || die "usage: $0 pin-image ACTION_YML IMAGE DIGEST"
        pin_image "$2" "$3" "$4"
        ;;
    tags-to-move)
        (($# == 2)) || die "usage: $0 tags-to-move VERSION"
        tags_to_move "$2"
        ;;
    *)
        die "usage: $0 pin-image ACTION_YML IMAGE DIGEST | tags-to-move VERSION"
        ;;
esac
