#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test kernel: unpack Debian's linux-source-6.1 under build/,
# apply patches/series, lay our own files over it, configure tinyconfig plus
# the fragments named in $FRAGMENTS, and build bzImage with ccache.
#
# Environment:
#   FRAGMENTS    config fragments, relative to configs/ (default: test.config)
#   OBJ          output directory (default: build/obj)
#   KERNEL_EXTRA extra arguments for the final make (for example C=1)
#   MM_HELPERS   "ours" (default) or "upstream": with "upstream" the tree
#                keeps the base kernel's mm/mapping_dirty_helpers.c instead
#                of ours, everything else equal (for make bench; give it its
#                own OBJ, such as build/obj-upstream)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
src=$build/linux
# Absolute, as make -C would take a relative O= from inside the tree.
obj=$(realpath -m "${OBJ:-$build/obj}")
fragments=${FRAGMENTS:-test.config}
mm_helpers=${MM_HELPERS:-ours}
tarball=/usr/src/linux-source-6.1.tar.xz
# Directories of ours that sit at kernel paths.
overlay_dirs=(mm include drivers Documentation)

die() { echo "build-kernel: $*" >&2; exit 1; }

case "$mm_helpers" in
ours) not_overlaid='' ;;
upstream) not_overlaid=mm/mapping_dirty_helpers.c ;;
*) die "MM_HELPERS must be ours or upstream, not '$mm_helpers'" ;;
esac
[ -r "$tarball" ] || die "$tarball missing: run scripts/install-deps.sh"
mkdir -p "$build" "$obj"

# Serialise builds: several make invocations share one tree.
exec 9>"$build/.lock"
flock 9

cd "$top"
overlay_files() {
	local d
	for d in "${overlay_dirs[@]}"; do
		if [ -d "$d" ]; then
			find "$d" -type f ! -name '*.orig' ! -name '*~'
		fi
	done | grep -vxF -e "$not_overlaid" | LC_ALL=C sort
}

# The unpacked tree is reused while the tarball and the patches stay the
# same; a change to either starts from a fresh unpack.
stamp=$({
	stat -c '%s %Y' "$tarball"
	cat patches/series
	while read -r p; do
		[ -n "$p" ] && cat "patches/$p"
	done < patches/series
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$src/.drm-coherent-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "build-kernel: unpacking $tarball"
	rm -rf "$src" "$build/linux-source-6.1"
	tar -C "$build" -xf "$tarball"
	mv "$build/linux-source-6.1" "$src"
	while read -r p; do
		case "$p" in ''|\#*) continue ;; esac
		echo "build-kernel: applying $p"
		patch -d "$src" -p1 -s --no-backup-if-mismatch < "patches/$p" ||
			die "patch $p does not apply to $(make -s -C "$src" kernelversion)"
	done < patches/series
	echo "$stamp" > "$src/.drm-coherent-stamp"
fi

# A file we no longer carry goes back to the base version (or away), so
# nothing of ours lingers in the tree. The same path swaps the flavours of
# MM_HELPERS: a file left out of the overlay goes back to the base version
# here, and the copy below lays ours over it again on the next normal build.
# The restored file gets the current time (tar -m): with the tarball's old
# mtime, kbuild would keep an object built from our version.
manifest=$src/.drm-coherent-overlay
overlay_files > "$manifest.new"
if [ -f "$manifest" ]; then
	comm -23 "$manifest" "$manifest.new" | while read -r f; do
		rm -f "$src/$f"
		tar -C "$build" -m -xf "$tarball" "linux-source-6.1/$f" 2>/dev/null &&
			mv "$build/linux-source-6.1/$f" "$src/$f" || true
	done
	rm -rf "$build/linux-source-6.1"
fi
mv "$manifest.new" "$manifest"

# Copy only what changed, keeping the mtime of the rest, so that kbuild
# rebuilds just the objects that depend on an edited file.
while read -r f; do
	if ! cmp -s "$f" "$src/$f"; then
		mkdir -p "$(dirname "$src/$f")"
		cp "$f" "$src/$f"
	fi
done < "$manifest"

# Upstream's file lacks wp_shared_mapping_bitmap() and
# mkwrite_shared_mapping_range(), which TTM calls: give it stand-ins made
# of upstream's own API. Rebuilt from the tarball each time, so that
# appending is idempotent.
if [ "$mm_helpers" = upstream ]; then
	f=mm/mapping_dirty_helpers.c
	tmp=$(mktemp -d)
	tar -C "$tmp" -xf "$tarball" "linux-source-6.1/$f"
	cat "$tmp/linux-source-6.1/$f" scripts/upstream/wp_shared_mapping_bitmap.c \
		scripts/upstream/mkwrite_shared_mapping_range.c > "$tmp/new"
	cmp -s "$tmp/new" "$src/$f" || cp "$tmp/new" "$src/$f"
	rm -rf "$tmp"
fi

echo "build-kernel: base kernel $(make -s -C "$src" kernelversion), $mm_helpers mm/mapping_dirty_helpers.c"

export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970'
export KBUILD_BUILD_USER=drm-coherent KBUILD_BUILD_HOST=build
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
kmake=(make -s -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc"
       -j"$(nproc)")

# Configure into a scratch file and install it only when it differs, so an
# unchanged configuration does not trigger a rebuild.
cfg=$build/kconfig
mkdir -p "$cfg"
rm -f "$cfg/.config"
"${kmake[@]}" O="$cfg" tinyconfig >/dev/null
frags=()
for f in $fragments; do
	[ -r "configs/$f" ] || die "no such fragment configs/$f"
	frags+=("$top/configs/$f")
done
"$src/scripts/kconfig/merge_config.sh" -m -O "$cfg" "$cfg/.config" \
	"${frags[@]}" >/dev/null
"${kmake[@]}" O="$cfg" olddefconfig >/dev/null

# tinyconfig silently drops options whose dependencies are not met: name
# every option of the fragments that did not end up as asked.
bad=0
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg/.config" && continue
			opt=${line%%=*}
			got=$(grep -E "^($opt=|# $opt is not set)" "$cfg/.config" || true)
			echo "build-kernel: $(basename "$f"): asked $line, got ${got:-nothing (unknown or unmet dependencies)}" >&2
			bad=1
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			grep -q "^$opt=" "$cfg/.config" || continue
			echo "build-kernel: $(basename "$f"): asked $line, got $(grep "^$opt=" "$cfg/.config")" >&2
			bad=1
			;;
		esac
	done < "$f"
done
[ $bad -eq 0 ] || die "configuration does not match the fragments"

cmp -s "$cfg/.config" "$obj/.config" || cp "$cfg/.config" "$obj/.config"

echo "build-kernel: building in ${obj#"$top"/}"
"${kmake[@]}" olddefconfig >/dev/null
"${kmake[@]}" ${KERNEL_EXTRA:-} bzImage
echo "build-kernel: $(realpath --relative-to="$top" "$obj/arch/x86/boot/bzImage")"
