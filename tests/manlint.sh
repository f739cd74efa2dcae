#!/bin/sh
# manlint.sh: every man page under man/ must be clean under
# `mandoc -T lint -W warning` (warnings and errors fail; style notes, such
# as a cross reference to a page not installed yet, do not).
# Exit 77 (skipped) when mandoc is not installed.
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
MANDOC=${MANDOC:-mandoc}

if ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "manlint: mandoc not found; skipping"
	exit 77
fi

n=0
fail=0
for page in "$top_srcdir"/man/*.[1-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	out=$("$MANDOC" -T lint -W warning "$page" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		echo "manlint: FAIL $page (mandoc exit $rc)"
		printf '%s\n' "$out"
		fail=1
	else
		echo "manlint: ok $page"
	fi
done
if [ $n -eq 0 ]; then
	echo "manlint: no man pages found under $top_srcdir/man"
	exit 1
fi
exit $fail
