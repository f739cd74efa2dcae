#!/usr/bin/python3
"""bench/swarm/lt-peer.py: a libtorrent (python3-libtorrent) peer for the
swarm testbed (bench/swarm/run.sh).

    lt-peer.py infohash TORRENT
        print the info hash (40 hex digits) for opentracker's whitelist
    lt-peer.py seed LISTEN_IP TORRENT DIR
        seed DIR/<name>; prints "ready" once the data is checked
    lt-peer.py leech LISTEN_IP TORRENT DIR
        prints "ready", waits for a line "go" on standard input, then
        downloads into DIR; prints "start EPOCH" and "done EPOCH" (wall
        clock, seconds) when every piece is verified, then keeps seeding

Both roles run until SIGTERM/SIGINT and then print
"stats uploaded=PAYLOAD_BYTES downloaded=PAYLOAD_BYTES peers=N".

DHT, local service discovery, peer exchange (no default plugins), UPnP,
NAT-PMP and uTP are off; everything else is libtorrent's default.
"""
import os
import select
import signal
import sys
import time

import libtorrent as lt

PORT = 6881


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def session(ip):
    s = {
        "listen_interfaces": "%s:%d" % (ip, PORT),
        "outgoing_interfaces": ip,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "alert_mask": lt.alert.category_t.status_notification |
        lt.alert.category_t.error_notification,
    }
    # flags=0: no default plugins, so no ut_pex (and no ut_metadata).
    return lt.session(s, 0)


def add(ses, torrent, d, seed):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = d
    if seed:
        p.flags |= lt.torrent_flags.seed_mode
    return ses.add_torrent(p)


stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "infohash":
        print(str(lt.torrent_info(sys.argv[2]).info_hashes().v1))
        return 0
    if len(sys.argv) != 5 or sys.argv[1] not in ("seed", "leech"):
        sys.stderr.write(__doc__)
        return 2
    role, ip, torrent, d = sys.argv[1:]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ses = session(ip)
    h = None
    if role == "seed":
        h = add(ses, torrent, d, True)
        while not stop and h.status().state != lt.torrent_status.seeding:
            time.sleep(0.05)
        out("ready")
    else:
        out("ready")
        while not stop:
            r, _, _ = select.select([sys.stdin], [], [], 0.2)
            if r:
                line = sys.stdin.readline()
                if line == "" or line.strip() == "go":
                    break
        out("start %.6f" % time.time())
        h = add(ses, torrent, d, False)
    done = role == "seed"
    while not stop:
        if not done:
            for a in ses.pop_alerts():
                if isinstance(a, lt.torrent_finished_alert):
                    out("done %.6f" % time.time())
                    done = True
            if not done:
                ses.wait_for_alert(50)
        else:
            time.sleep(0.2)
    st = h.status()
    out("stats uploaded=%d downloaded=%d peers=%d" %
        (st.total_payload_upload, st.total_payload_download, st.num_peers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
