import { isIP } from 'node:net';

/**
 * The network an address belongs to, roughly: the /24 of an IPv4 address, the /48 of an IPv6
 * one. Enough for members to tell their office from their home in their session list, while
 * the page never shows a whole address.
 */
export function approximateNetwork(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return ipv4Network(address);
  if (family !== 6) return undefined;
  const groups = ipv6Groups(address);
  // An IPv4 client reached over an IPv6 socket (::ffff:192.0.2.1) is an IPv4 client.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return ipv4Network([groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8].join('.'));
  }
  return `${groups.slice(0, 3).map((group) => group.toString(16)).join(':')}::/48`;
}

function ipv4Network(address: string): string {
  return `${address.split('.').slice(0, 3).join('.')}.0/24`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail read). */
function ipv6Groups(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = dotted ? `${address.slice(0, dotted.index)}${((+dotted[1]! << 8) | +dotted[2]!).toString(16)}:${((+dotted[3]! << 8) | +dotted[4]!).toString(16)}` : address;
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  if (tail === undefined) return parse(head);
  const [before, after] = [parse(head), parse(tail)];
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}
