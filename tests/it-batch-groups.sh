#!/bin/bash
# it-batch-groups.sh: accounts and groups end to end through --batch:
# create_user, login, create_group, join_group from a second user,
# list_requests, accept_request, upload_file, list_files, download_file
# (cmp), a non-member refused, a wrong password refused, logout then a
# refused command, stop_share.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init batch-groups

if have_tracker; then
	tracker_start t1
	TRK=${TRACKER_ADDR[t1]}
	peer_start alice -t "$TRK"
else
	peer_start alice --embedded-tracker=127.0.0.1:0
	TRK=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
fi
peer_start bob -t "$TRK"
peer_start carol -t "$TRK"

# Nothing works before login.
must_fail alice "create_group g1" auth
must alice "create_user alice pw-alice-1" 60
must alice "login alice pw-alice-1" 60
[ "$LAST" = "ok login alice" ] || fail "login: $LAST"
must alice "create_group g1"
must_fail alice "create_group g1" exists

must bob "create_user bob pw-bob-1" 60
must_fail bob "login bob wrong-password" auth 60
must bob "login bob pw-bob-1" 60
must bob "join_group g1"
must bob "list_groups"
peer_data bob | grep -q '^group .*g1' || fail "list_groups: $(peer_data bob)"

must alice "list_requests g1"
peer_data alice | grep -q '^request .*bob' ||
    fail "list_requests: $(peer_data alice)"
must alice "accept_request g1 bob"

make_file "$T/alice/report.bin" 4
must alice "upload_file $T/alice/report.bin g1" 60
[[ $LAST =~ ^ok\ upload_file\ report\.bin\.mtorrent\ group=g1\ id=[0-9a-f]{40}$ ]] ||
    fail "upload_file: $LAST"
[ -f "$T/alice/report.bin.mtorrent" ] || fail "no .mtorrent in the cwd"

must bob "list_files g1"
peer_data bob | grep -q '^file .*report\.bin' ||
    fail "list_files: $(peer_data bob)"
must bob "download_file g1 report.bin $T/bob/report.bin"
must bob "wait 120" 130
[ "$LAST" = "ok wait done=1 failed=0" ] || fail "bob wait: $LAST"
cmp "$T/alice/report.bin" "$T/bob/report.bin" || fail "report differs"
# The trackers keep the .mtorrent's units for download_file.
grep -q 'report\.bin (8 pieces, in units of 128 KiB)' "$T/bob/err" ||
    fail "download_file lost the units: $(grep downloading "$T/bob/err")"

# carol is not a member: neither the list nor the file.
must carol "create_user carol pw-carol-1" 60
must carol "login carol pw-carol-1" 60
must_fail carol "list_files g1" denied
peer_cmd carol "download_file g1 report.bin $T/carol/report.bin"
case $LAST in
"error denied: "*|"error not-found: "*) ;;
*) fail "non-member download_file: $LAST" ;;
esac
[ -f "$T/carol/report.bin" ] && fail "a non-member got the file"

# A password never appears in the output or the log.
grep -q 'pw-\(alice\|bob\|carol\)-1' "$T"/*/out "$T"/*/err &&
    fail "a password was echoed or logged"

# The session outlives a restart (a restarted peer still announces its
# group files) ...
peer_stop carol
peer_restart carol
must carol "create_group g-carol"

# logout, then the session is gone, also after a restart.
must bob "logout"
must_fail bob "list_files g1" auth
must_fail bob "logout" auth
peer_stop bob
peer_restart bob
must_fail bob "list_files g1" auth

must alice "stop_share g1 report.bin"
for p in carol bob alice; do
	peer_stop "$p"
done
it_done
