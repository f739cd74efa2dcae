#!/bin/sh
# installcheck-i18n.sh BINARY LOCALEDIR: run by `make installcheck' (and
# so by `make distcheck') on the installed program: the French and German
# catalogues are installed, and with LANGUAGE=fr or de the program's
# --help is no longer the English text.  (It compares outputs; it does not
# assert any translated wording.)
bin=$1
localedir=$2

fail() {
	echo "installcheck-i18n: FAIL: $*" >&2
	exit 1
}

[ -x "$bin" ] || fail "$bin is not installed"
for l in fr de; do
	[ -f "$localedir/$l/LC_MESSAGES/mtorrent.mo" ] ||
	    fail "$localedir/$l/LC_MESSAGES/mtorrent.mo is not installed"
done

# gettext ignores LANGUAGE in the C locale: find a UTF-8 one.
loc=""
for c in C.UTF-8 C.utf8 en_US.UTF-8 en_US.utf8; do
	if locale -a 2>/dev/null | grep -qx "$c"; then
		loc=$c
		break
	fi
done
if [ -z "$loc" ]; then
	echo "installcheck-i18n: no UTF-8 locale; catalogues installed," \
	    "output not checked"
	exit 0
fi

en=$(env -u LC_ALL -u LC_MESSAGES LANG=C LANGUAGE= "$bin" --help) ||
    fail "$bin --help failed"
for l in fr de; do
	out=$(env -u LC_ALL -u LC_MESSAGES LANG=$loc LANGUAGE=$l "$bin" --help) ||
	    fail "LANGUAGE=$l $bin --help failed"
	[ "$out" != "$en" ] || fail "LANGUAGE=$l $bin --help is in English"
	echo "installcheck-i18n: ok, LANGUAGE=$l translates --help"
done
exit 0
