#!/bin/bash
# it-batch-foreign.sh: a .mtorrent made on another machine.  Two peers
# that each run their own embedded tracker (the fresh-machine default):
# the second gets the first's .mtorrent and must reach the tracker named
# in it, pinned to the fingerprint written there, not its own.  A
# .mtorrent whose pin does not match the tracker's certificate is
# refused.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init batch-foreign

make_file "$T/data.bin" 3

peer_start a --embedded-tracker=127.0.0.1:0
TRK_A=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
FPR_A=$(echo "$LAST" | sed -n 's/.*fpr=\([0-9a-f]*\).*/\1/p')
must a "share $T/data.bin data.mtorrent" 60
grep -qx "tracker $TRK_A $FPR_A" "$T/a/data.mtorrent" ||
    fail "the .mtorrent lacks 'tracker $TRK_A $FPR_A': $(head -3 "$T/a/data.mtorrent")"

peer_start b --embedded-tracker=127.0.0.1:0
TRK_B=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
[ "$TRK_A" != "$TRK_B" ] || fail "both peers on one tracker"
mkdir -p "$T/dl"
must b "get $T/a/data.mtorrent $T/dl/"
must b "wait 60" 70
[[ $LAST =~ done=1\ failed=0 ]] || fail "wait: $LAST"
cmp "$T/data.bin" "$T/dl/data.bin" || fail "copy differs"
grep -q "using the .mtorrent's 1 tracker" "$T/b/err" ||
    fail "b did not use the .mtorrent's tracker"

# A wrong pin: the same .mtorrent with another fingerprint is refused by
# the TLS check, so the download finds no seeders and makes no progress.
sed "s/^tracker $TRK_A .*/tracker $TRK_A $(printf '%064d' 0)/" \
    "$T/a/data.mtorrent" >"$T/bad.mtorrent"
peer_start c --embedded-tracker=127.0.0.1:0
mkdir -p "$T/dl2"
must c "get $T/bad.mtorrent $T/dl2/"
n=0
while [ $n -lt 100 ] && ! grep -q "$TRK_A" "$T/c/err"; do
	sleep 0.1
	n=$((n + 1))
done
peer_cmd c "wait 3" 10
[[ $LAST =~ ^error\ timeout: ]] ||
    fail "download with a wrong pin did not stall: $LAST"
grep -Eiq "fingerprint|certificate" "$T/c/err" ||
    fail "no pin refusal logged: $(tail -5 "$T/c/err")"
[ ! -e "$T/dl2/data.bin" ] || fail "wrong-pin download wrote the file"

it_done
