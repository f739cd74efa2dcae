#!/usr/bin/python3
"""A libtorrent peer for bench/transfer/run (Debian python3-libtorrent).

    lt-peer.py seed LISTEN_IP PORT TORRENT DIR    seed until SIGTERM
    lt-peer.py get LISTEN_IP PORT TORRENT DIR     download, print "done S"

DHT, local discovery, peer exchange, UPnP, NAT-PMP and uTP are off, so
peers come from the tracker only, over TCP.
"""
import signal
import sys
import time

import libtorrent as lt

mode, ip, port, torrent, save = sys.argv[1:6]
t0 = time.monotonic()
ses = lt.session({
    'listen_interfaces': '%s:%s' % (ip, port),
    'outgoing_interfaces': ip,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
    'enable_natpmp': False, 'enable_incoming_utp': False,
    'enable_outgoing_utp': False,
    'allow_multiple_connections_per_ip': True,
    'alert_mask': 0,
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = save
params.flags &= ~lt.torrent_flags.auto_managed
params.flags &= ~lt.torrent_flags.paused
if mode == 'seed':
    params.flags |= lt.torrent_flags.seed_mode
h = ses.add_torrent(params)
if mode == 'seed':
    print('ready', flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop:
        time.sleep(0.1)
    sys.exit(0)
while not h.status().is_seeding:
    time.sleep(0.005)
print('done %.3f' % (time.monotonic() - t0), flush=True)
