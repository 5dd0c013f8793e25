import { describe, expect, it } from 'vitest';
import { approximateNetwork } from '../../src/lib/network.js';

describe('approximateNetwork', () => {
  it.each([
    ['203.0.113.57', '203.0.113.0/24'],
    ['10.1.2.3', '10.1.2.0/24'],
    ['::ffff:198.51.100.7', '198.51.100.0/24'],
    ['2001:db8:1234:5678::1', '2001:db8:1234::/48'],
    ['2001:0db8:00ab:ffff:1:2:3:4', '2001:db8:ab::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0::/48'],
    ['::1', '0:0:0::/48'],
  ])('gives %s as %s', (address, network) => {
    expect(approximateNetwork(address)).toBe(network);
  });

  it.each(['', 'not an address', '203.0.113', '203.0.113.256'])('gives nothing for %j', (address) => {
    expect(approximateNetwork(address)).toBeUndefined();
  });
});
