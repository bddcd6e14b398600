#!/bin/bash
# Builds and imports the probe image the real-cluster suite's --active tests use: the shared
# netshoot stand-in (images.sh: no tcpdump, no python3) plus the files of Debian's tcpdump,
# python3.11-minimal, libpython3.11-minimal and libpython3.11-stdlib as installed on this host
# (dpkg -L), with the shared libraries they load. Nothing is pulled: the image is imported into
# the node's containerd (ctr -n k8s.io images import). Usage: observe-image.sh SHARED_K8S_DIR
# Keeps the tarball in $K8S_DIR/img (down.sh --wipe keeps it) for the next import. Prints the image reference.
set -euo pipefail
SHARED=$1
. "$SHARED/lib.sh"
NAME=netcheck.test/probe-observe:1
OUT=$IMG/probe-observe.tar
if $CTR images ls -q | grep -qxF "$NAME"; then echo "$NAME"; exit 0; fi
if [ -s "$OUT" ]; then $CTR images import "$OUT" >/dev/null; echo "$NAME"; exit 0; fi
[ -s "$IMG/netshoot.tar" ] || { echo "observe-image.sh: $IMG/netshoot.tar missing (up.sh --node builds it)" >&2; exit 1; }
pkgs="tcpdump python3.11-minimal libpython3.11-minimal libpython3.11-stdlib"
dpkg -s $pkgs >/dev/null 2>&1 || { echo "observe-image.sh: needs the Debian packages $pkgs" >&2; exit 1; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
r=$w/rootfs; mkdir -p "$r"
tar -xf "$IMG/netshoot.tar" -C "$w" layer.tar && tar -xf "$w/layer.tar" -C "$r" && rm "$w/layer.tar"
dpkg -L $pkgs | grep -v -e '^/usr/share' -e '^/etc/apparmor.d' -e '/test/' | while read -r f; do
  [ -f "$f" ] && [ ! -e "$r$f" ] && echo "${f#/}"; done > "$w/files"
tar -C / -cf - -T "$w/files" | tar -C "$r" -xf -
ln -sf python3.11 "$r/usr/bin/python3"
for l in $(ldd /usr/bin/tcpdump /usr/bin/python3.11 /usr/lib/python3.11/lib-dynload/*.so 2>/dev/null |
  awk '$2=="=>" && $3~/^\// {print $3} $1~/^\// && $2~/^\(0x/ {print $1}' | sort -u); do
  [ -e "$r$l" ] || { mkdir -p "$r$(dirname "$l")"; cp -L "$l" "$r$l"; }
done
(cd "$r" && tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -cf "$w/layer.tar" .)
diff=sha256:$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
cat > "$w/config.json" <<J
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["$diff"]},"history":[{"created_by":"netcheck test/e2e-real/observe-image.sh"}]}
J
echo "[{\"Config\":\"config.json\",\"RepoTags\":[\"$NAME\"],\"Layers\":[\"layer.tar\"]}]" > "$w/manifest.json"
(cd "$w" && tar -cf - manifest.json config.json layer.tar) > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
$CTR images import "$OUT" >/dev/null
echo "$NAME"
