#!/usr/bin/env python3
"""Print the BitTorrent info hash (hex) of a .torrent: SHA1 of the
bencoded info dictionary, for opentracker's whitelist."""
import hashlib
import sys


def skip(s, i):
    """Index just past the bencoded value at s[i]."""
    c = s[i:i + 1]
    if c == b'i':
        return s.index(b'e', i) + 1
    if c in (b'l', b'd'):
        i += 1
        while s[i:i + 1] != b'e':
            i = skip(s, i)
        return i + 1
    j = s.index(b':', i)
    return j + 1 + int(s[i:j])


data = open(sys.argv[1], 'rb').read()
start = data.index(b'4:info') + 6
print(hashlib.sha1(data[start:skip(data, start)]).hexdigest())
