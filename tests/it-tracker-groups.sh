#!/bin/bash
# it-tracker-groups.sh: accounts and groups through two replicated
# trackers: a non-member gets neither the file list nor the seeders of a
# group file, after accept_request they do; a wrong password is refused;
# a token from logout no longer works (on either tracker).
. "${top_srcdir:-.}/tests/it-tracker-lib.sh"
it_init tracker-groups

trk_ports a b
trk_start a --partner "${ADDR[b]}"
trk_start b --partner "${ADDR[a]}"

req a create_user alice pw-alice || fail "create_user alice"
req b create_user bob pw-bob || fail "create_user bob"
req a create_user alice other
expect_err exists

# Accounts made on one tracker log in on the other.
wait_for 10 req b login alice pw-alice || fail "alice login on b"
TA=$(printf '%s\n' "$OUT" | awk '/^token /{print $2}')
wait_for 10 req a login bob pw-bob || fail "bob login on a"
TB=$(printf '%s\n' "$OUT" | awk '/^token /{print $2}')
req a login bob wrong-password
expect_err auth
req a login nobody pw
expect_err auth

req a create_group "$TA" g1 || fail "create_group"
mkfile groupfile 2
req a share "$TA" "$FID" secret.txt 2000 1024 "$PIECES" g1 127.0.0.1:5100 0 "" ||
    fail "share into g1"
wait_for 10 req b list_groups "$TB" || fail "list_groups"
check_out '^items g1 '

# Bob is not a member: no list, no seeders, no metainfo, on both.
for n in a b; do
	req $n list_files "$TB" g1
	expect_err denied
	req $n seeders "$TB" "$FID"
	expect_err denied
	req $n seeders "" "$FID"
	expect_err denied
	req $n metainfo "$TB" "" g1 secret.txt
	expect_err denied
done

# Bob asks on b, alice (owner) accepts on a.
req b join_group "$TB" g1 || fail "join_group"
wait_for 10 eval 'req a list_requests "$TA" g1 &&
    printf "%s\n" "$OUT" | grep -qx "items bob"' || fail "request not seen"
req b accept_request "$TB" g1 bob
expect_err denied
req a accept_request "$TA" g1 bob || fail "accept_request"

for n in a b; do
	wait_for 10 eval 'req $n list_files "$TB" g1' ||
	    fail "member cannot list on $n"
	check_out "^items $FID .*secret.txt"
	TOKEN=$TB wait_for 10 seeders_has $n "$FID" 127.0.0.1:5100 ||
	    fail "member gets no seeders on $n"
done

# Logout on b: the token is dead on both.
req b logout "$TB" || fail "logout"
req b list_files "$TB" g1
expect_err auth
# shellcheck disable=SC2016
wait_for 10 eval 'req a list_files "$TB" g1; [ $RC -eq 1 ]' ||
    fail "token alive on a after logout on b"
expect_err auth
trk_stop a
trk_stop b
exit 0
