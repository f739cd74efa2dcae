#!/bin/sh
# Replay every fuzz target's seed corpus and kept crash inputs
# (tests/fuzz/corpus/TARGET/) through the target compiled without
# libFuzzer: a regression here is a crash or a sanitizer report.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
rc=0
for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	target=$(basename "$dir")
	bin="$top_builddir/tests/fuzz/$target-replay"
	if [ ! -x "$bin" ]; then
		echo "no replay binary for $target"
		rc=1
		continue
	fi
	"$bin" "$dir" || rc=1
done
exit $rc
