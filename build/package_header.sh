# The start of dist/cyberbackup: a makeself header (`makeself --header`),
# sourced by makeself, which sets SKIP (this header's length in lines),
# SHAsum (of the compressed payload) and GUNZIP_CMD; build/package.ts sets
# CYBERBACKUP_* (see there). The first part takes build-time values; the
# second is copied as is. It replaces makeself's own header, which would
# unpack into a new temporary folder on every start, read options of its
# own from the command line (`cyberbackup --help` would be makeself's) and
# not exec the program (signals would not reach it).
cat << EOF > "$archname"
#!/bin/sh
# cyberbackup $CYBERBACKUP_VERSION: a self-extracting executable (made by makeself $MS_VERSION
# with build/package_header.sh). It unpacks Deno and the program once into
# \${XDG_CACHE_HOME:-\$HOME/.cache}/cyberbackup/<payload sha256>/, checks the
# files there against the manifest whose hash is below, and runs the program
# with \`deno run\` (no network). See README.md, "The single executable".
skip=$SKIP
payload_sha256=$SHAsum
manifest_sha256=$CYBERBACKUP_MANIFEST_SHA256
decompress="$GUNZIP_CMD"
deno_args="$CYBERBACKUP_DENO_ARGS"
EOF
cat << 'EOF' >> "$archname"
self=$0
cache_root=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/cyberbackup
dir=$cache_root/$payload_sha256

fail() {
  echo "cyberbackup: $*" >&2
  exit 70
}

payload() {
  tail -n "+$((skip + 1))" "$self"
}

# The full check, after unpacking: the manifest is the one built into this
# header and every file it lists has its sha256.
verified() {
  [ -f "$1/MANIFEST.sha256" ] &&
    [ "$(sha256sum < "$1/MANIFEST.sha256" | cut -c1-64)" = "$manifest_sha256" ] &&
    (cd "$1" && sha256sum --quiet --strict --check MANIFEST.sha256 >/dev/null 2>&1)
}

# The check on every start, in milliseconds rather than the full check's
# fraction of a second: the manifest is still this build's, the folder holds
# as many files as it lists, and none has changed since the full check
# (stamped by .checked) by its ctime, which is set on every write, rename or
# touch and cannot be set back. Deno's own caches in deno_dir/ are left out.
intact() {
  [ -f "$1/.checked" ] &&
    [ "$(sha256sum < "$1/MANIFEST.sha256" | cut -c1-64)" = "$manifest_sha256" ] &&
    (
      cd "$1" &&
        [ "$(find deno app deno_dir/npm -type f | wc -l)" -eq "$(wc -l < MANIFEST.sha256)" ] &&
        [ -z "$(find deno app deno_dir/npm MANIFEST.sha256 -cnewer .checked | head -n 1)" ]
    ) 2>/dev/null
}

unpack() {
  tmp=$(mktemp -d "$cache_root/.unpack.XXXXXX") || fail "cannot create a folder in $cache_root"
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  [ "$(payload | sha256sum | cut -c1-64)" = "$payload_sha256" ] ||
    fail "$self is damaged: its content does not match its checksum"
  payload | $decompress | (cd "$tmp" && tar -xf -) ||
    fail "cannot unpack into $tmp"
  verified "$tmp" || fail "the files unpacked into $tmp do not match their manifest"
  rm -rf "$dir"
  mv -T "$tmp" "$dir" || fail "cannot move $tmp to $dir"
  : > "$dir/.checked" || fail "cannot write $dir/.checked"
  trap - EXIT INT TERM
}

if ! intact "$dir"; then
  mkdir -p "$cache_root" || fail "cannot create $cache_root"
  # One start unpacks at a time (flock, from util-linux, where present); one
  # that waited finds the folder ready.
  exec 9> "$cache_root/.$payload_sha256.lock" || fail "cannot write in $cache_root"
  ! command -v flock > /dev/null 2>&1 || flock 9
  if ! intact "$dir"; then
    if [ -e "$dir" ]; then
      echo "cyberbackup: $dir has changed since it was unpacked; unpacking it again" >&2
    else
      echo "cyberbackup: unpacking into $dir (once)" >&2
    fi
    unpack
  fi
  exec 9>&-
fi
# npm packages come from deno_dir (with --cached-only); the program names
# itself after this file in the hints it prints.
DENO_DIR=$dir/deno_dir
CYBERBACKUP_EXECUTABLE=$self
DENO_NO_UPDATE_CHECK=1
export DENO_DIR CYBERBACKUP_EXECUTABLE DENO_NO_UPDATE_CHECK
exec "$dir/deno" run $deno_args --config "$dir/app/deno.json" "$dir/app/main.ts" "$@"
EOF
