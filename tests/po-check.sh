#!/bin/sh
# po-check.sh: every language in po/LINGUAS has a po file that msgfmt
# accepts (msgfmt -c: format strings match their msgid), and translates
# every string the sources mark today: the sources are extracted afresh
# with xgettext (not the possibly stale mtorrent.pot) and merged without
# fuzzy matching, so a new or changed string shows up here as missing.
# To fix a failure: `make -C po update-po` in a build directory, then
# translate the new entries in po/*.po (and drop their fuzzy flags).
# Exit 77 (skipped) when the gettext tools are not installed.
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
po="$top_srcdir/po"
tmp=${TMPDIR:-/tmp}/po-check.$$
trap 'rm -rf "$tmp"' EXIT INT TERM

for t in xgettext msgmerge msgfmt msgattrib; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "po-check: $t not found; skipping"
		exit 77
	fi
done
mkdir "$tmp" || exit 1

sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$po/POTFILES.in" \
    >"$tmp/files"
if ! xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 \
    --add-comments=TRANSLATORS: --package-name=mtorrent \
    -D "$top_srcdir" -f "$tmp/files" -o "$tmp/mtorrent.pot"; then
	echo "po-check: xgettext failed"
	exit 1
fi
total=$(grep -c '^msgid ' "$tmp/mtorrent.pot")
total=$((total - 1))	# the header entry

langs=$(sed -e 's/#.*//' "$po/LINGUAS")
if [ -z "$langs" ]; then
	echo "po-check: po/LINGUAS lists no language"
	exit 1
fi
fail=0
for l in $langs; do
	f="$po/$l.po"
	if [ ! -f "$f" ]; then
		echo "po-check: $l is in po/LINGUAS but po/$l.po is missing"
		fail=1
		continue
	fi
	if ! msgfmt -c -o /dev/null "$f"; then
		echo "po-check: FAIL po/$l.po does not pass msgfmt -c"
		fail=1
		continue
	fi
	msgmerge --quiet -N -o "$tmp/$l.po" "$f" "$tmp/mtorrent.pot" || {
		echo "po-check: msgmerge failed on po/$l.po"
		fail=1
		continue
	}
	msgattrib --untranslated --no-obsolete -o "$tmp/$l.un" "$tmp/$l.po"
	msgattrib --only-fuzzy --no-obsolete -o "$tmp/$l.fz" "$tmp/$l.po"
	nun=0
	nfz=0
	[ -s "$tmp/$l.un" ] && nun=$(($(grep -c '^msgid ' "$tmp/$l.un") - 1))
	[ -s "$tmp/$l.fz" ] && nfz=$(($(grep -c '^msgid ' "$tmp/$l.fz") - 1))
	# msgattrib keeps the (fuzzy) header entry; do not count it.
	[ $nfz -lt 0 ] && nfz=0
	[ $nun -lt 0 ] && nun=0
	if [ $nun -ne 0 ] || [ $nfz -ne 0 ]; then
		echo "po-check: FAIL po/$l.po: $nun of $total strings" \
		    "untranslated, $nfz fuzzy; first ones:"
		cat "$tmp/$l.un" "$tmp/$l.fz" 2>/dev/null |
		    grep -A1 '^#:' | grep '^msgid' | grep -v '^msgid ""$' |
		    head -5
		fail=1
	else
		echo "po-check: ok po/$l.po ($total strings)"
	fi
done
exit $fail
