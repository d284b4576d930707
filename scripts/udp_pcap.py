#!/usr/bin/python3
"""udp_pcap.py -- write a pcap of RESP-over-UDP request frames for a
packet generator to replay at redpoll (docs/pktgen.md): pktgen-dpdk's
-s P:FILE, dpdk-testpmd with a net_pcap port, tcpreplay, or a packet
socket.

Each frame is Ethernet/IPv4/UDP with right checksums; its UDP payload is
the 8-byte frame header (request id, sequence 0, count 1, flags 0, in
network byte order) and one RESP request. Frame i carries request id
FIRST_ID + i and the command with "{i}" in its arguments replaced by i
(keys KEYPREFIX{i} by default).

    scripts/udp_pcap.py --dst-mac 02:70:63:61:70:00 -n 1000 get.pcap
    scripts/udp_pcap.py --dst-mac ... --command 'SET key:{i} v{i}' set.pcap

Addresses must be in 198.18.0.0/15 (the benchmarking range the test
namespaces use). Only the standard library is used: no scapy needed.
"""
import argparse
import ipaddress
import socket
import struct
import sys

FRAME = struct.Struct('!IHBB')


def resp(args):
    """The RESP multibulk encoding of a request."""
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def csum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload, ip_id):
    """An Ethernet/IPv4/UDP frame carrying payload."""
    ulen = 8 + len(payload)
    pseudo = src_ip + dst_ip + struct.pack('!BBH', 0, 17, ulen)
    udp = struct.pack('!HHHH', sport, dport, ulen, 0) + payload
    uc = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack('!H', uc) + udp[8:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, ip_id, 0, 64, 17,
                     0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return dst_mac + src_mac + b'\x08\x00' + ip + udp


def mac(text):
    b = bytes(int(x, 16) for x in text.split(':'))
    if len(b) != 6:
        raise argparse.ArgumentTypeError('a MAC is 6 bytes: ' + text)
    return b


def bench_ip(text):
    a = ipaddress.ip_address(text)
    if a not in ipaddress.ip_network('198.18.0.0/15'):
        raise argparse.ArgumentTypeError('%s is not in 198.18.0.0/15' % text)
    return socket.inet_aton(text)


def frames(opts):
    """Every frame of the capture, in order."""
    words = opts.command.split()
    for i in range(opts.count):
        args = [w.replace('{i}', str(i)).encode() for w in words]
        payload = FRAME.pack((opts.first_id + i) & 0xffffffff, 0, 1, 0) + \
            resp(args)
        yield frame(opts.src_mac, opts.dst_mac, opts.src_ip, opts.dst_ip,
                    opts.sport, opts.port, payload, i & 0xffff)


def write_pcap(path, items):
    """A classic pcap (microsecond timestamps, Ethernet link type)."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for n, data in enumerate(items):
            f.write(struct.pack('<IIII', n // 1000000, n % 1000000,
                                len(data), len(data)))
            f.write(data)


def read_pcap(path):
    """The frames of a classic pcap written by write_pcap (or tcpdump)."""
    with open(path, 'rb') as f:
        head = f.read(24)
        endian = '<' if struct.unpack('<I', head[:4])[0] == 0xa1b2c3d4 \
            else '>'
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, incl, _ = struct.unpack(endian + 'IIII', rec)
            yield f.read(incl)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out', help='pcap file to write')
    p.add_argument('-n', '--count', type=int, default=1000,
                   help='frames (default 1000)')
    p.add_argument('--command', default='GET key:{i}',
                   help='the request; {i} becomes the frame number '
                   '(default "GET key:{i}")')
    p.add_argument('--first-id', type=int, default=1,
                   help='request id of the first frame (default 1)')
    p.add_argument('--dst-mac', type=mac, required=True,
                   help="redpoll's port MAC (redpollctl ports, or ip "
                   'neigh after a ping)')
    p.add_argument('--src-mac', type=mac, default=mac('02:00:00:00:00:02'))
    p.add_argument('--dst-ip', type=bench_ip, default=bench_ip('198.18.0.1'))
    p.add_argument('--src-ip', type=bench_ip, default=bench_ip('198.18.0.2'))
    p.add_argument('--port', type=int, default=6379,
                   help="redpoll's UDP port (default 6379)")
    p.add_argument('--sport', type=int, default=40000,
                   help='UDP source port (default 40000)')
    opts = p.parse_args(argv)
    write_pcap(opts.out, frames(opts))
    return 0


if __name__ == '__main__':
    sys.exit(main())
