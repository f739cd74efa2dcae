#!/bin/sh
# potfiles.sh: po/POTFILES.in must list every file under src/ that marks
# strings for translation with _( or N_( (outside comments and the
# #defines of i18n.h), and every file it lists must exist; otherwise
# strings silently miss the translations, or `make update-po` breaks.
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
CC=${CC:-cc}
potfiles="$top_srcdir/po/POTFILES.in"
tmp=${TMPDIR:-/tmp}/potfiles.$$
trap 'rm -f "$tmp".*' EXIT INT TERM

if [ ! -f "$potfiles" ]; then
	echo "potfiles: $potfiles missing"
	exit 1
fi
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$potfiles" |
    sort -u >"$tmp.listed"

fail=0
while read -r f; do
	if [ ! -f "$top_srcdir/$f" ]; then
		echo "potfiles: po/POTFILES.in lists $f, which does not exist"
		fail=1
	fi
done <"$tmp.listed"

# Strip comments without expanding macros (cc -fpreprocessed); fall back
# to the raw text if the compiler cannot.
uses_gettext() {
	{ "$CC" -fpreprocessed -dD -E -P "$1" 2>/dev/null || cat "$1"; } |
	    grep -v '^[[:space:]]*#[[:space:]]*define' |
	    grep -Eq '(^|[^A-Za-z0-9_])N?_\('
}

(cd "$top_srcdir" && find src -type f \( -name '*.c' -o -name '*.h' \) |
    LC_ALL=C sort) >"$tmp.all"
n=0
while read -r f; do
	if uses_gettext "$top_srcdir/$f"; then
		n=$((n + 1))
		if ! grep -qxF "$f" "$tmp.listed"; then
			echo "potfiles: $f uses _() or N_() but is not in po/POTFILES.in"
			fail=1
		fi
	fi
done <"$tmp.all"
echo "potfiles: $n files under src/ mark strings; $(wc -l <"$tmp.listed") listed"
exit $fail
