/**
 * The socket ioctls (net/socket.c sock_ioctl → dev_ioctl, inet_ioctl) of the model: on any
 * socket, SIOCGIFFLAGS / SIOCSIFFLAGS (`ip link set DEV up` the old way, ifconfig: IFF_UP
 * needs CAP_NET_ADMIN), SIOCGIFINDEX, SIOCGIFMTU, SIOCGIFHWADDR on a device of the caller's
 * namespace named in a struct ifreq; FIONREAD/SIOCINQ on a TCP or UDP socket. undefined:
 * not a socket request (the caller answers ENOTTY).
 */
import { Errno } from '@bpfsim/uapi';
import { TcpSock } from '../net/ipv4/tcp';
import { UdpSock } from '../net/ipv4/udp';
import { fromUser, toUser, type SysCtx } from './context';
import { netnsOf, sockFd } from './sys_socket';

const SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCGIFINDEX = 0x8933, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927, FIONREAD = 0x541b;
const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000;
const IFREQ_SIZE = 40, CAP_NET_ADMIN = 12;

export function sockIoctl(c: SysCtx, fd: number, req: number, arg: number): number | undefined {
  const r = sockFd(c, fd);
  if (typeof r === 'number') return undefined;
  if (req === FIONREAD) {
    const sk = r.s.sk;
    let n = 0;
    if (sk instanceof TcpSock) n = sk.rcvq.len;
    else if (sk instanceof UdpSock) n = sk.rxq[0]?.data.length ?? 0;
    else return -Errno.ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    return toUser(c, arg, b);
  }
  if (![SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFINDEX, SIOCGIFMTU, SIOCGIFHWADDR].includes(req)) return undefined;
  const ifr = fromUser(c, arg, IFREQ_SIZE);
  if (typeof ifr === 'number') return ifr;
  const end = ifr.indexOf(0);
  const name = Buffer.from(ifr.subarray(0, end < 0 || end > 15 ? 15 : end)).toString('utf8');
  const dev = netnsOf(c).devices.find((d) => d.name === name);
  if (!dev) return -Errno.ENODEV;
  const out = ifr.slice();
  const dv = new DataView(out.buffer);
  switch (req) {
    case SIOCGIFFLAGS: {
      const f = (dev.kind === 'loopback' ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST) | (dev.up ? IFF_UP | IFF_RUNNING : 0);
      dv.setInt16(16, f, true);
      break;
    }
    case SIOCSIFFLAGS:
      if (!c.t.cred.capable(CAP_NET_ADMIN)) return -Errno.EPERM;
      dev.setUp((dv.getInt16(16, true) & IFF_UP) !== 0);
      c.w.wake();
      return 0;
    case SIOCGIFINDEX:
      dv.setInt32(16, dev.ifindex, true);
      break;
    case SIOCGIFMTU:
      dv.setInt32(16, dev.mtu, true);
      break;
    case SIOCGIFHWADDR:
      dv.setUint16(16, dev.kind === 'loopback' ? 772 : 1, true);
      out.set(dev.mac, 18);
      break;
  }
  return toUser(c, arg, out);
}
