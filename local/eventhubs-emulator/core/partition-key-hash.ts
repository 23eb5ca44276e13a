/**
 * Maps a partition key to a partition index the way the Event Hubs service (and the SDK's own
 * buffered producer) does: Bob Jenkins' lookup3 `hashlittle2` over the UTF-8 bytes with zero seeds,
 * folded to a signed 16-bit value, then `abs(hash % partitionCount)`. Matching the service means an
 * app that reasons about key placement sees the same placement here as in Azure.
 */
export function partitionIndexForKey(partitionKey: string, partitionCount: number): number {
  return Math.abs(hashPartitionKey(partitionKey) % partitionCount);
}

/** The signed 16-bit lookup3 hash of the key's UTF-8 bytes. */
export function hashPartitionKey(partitionKey: string): number {
  const { b, c } = lookup3(Buffer.from(partitionKey, 'utf8'));
  return toInt16(c ^ b);
}

function toInt16(value: number): number {
  return (value << 16) >> 16;
}

function rotate(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function lookup3(data: Buffer): { b: number; c: number } {
  let a = (0xdeadbeef + data.length) | 0;
  let b = a;
  let c = a;
  let index = 0;
  let remaining = data.length;
  while (remaining > 12) {
    a = (a + data.readUInt32LE(index)) | 0;
    b = (b + data.readUInt32LE(index + 4)) | 0;
    c = (c + data.readUInt32LE(index + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rotate(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rotate(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rotate(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rotate(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rotate(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rotate(b, 4);
    b = (b + a) | 0;
    index += 12;
    remaining -= 12;
  }
  if (remaining === 0) return { b, c };
  // The tail: bytes beyond the last full word are added little-endian into a, b, c in that order
  // (byte by byte, which is the same sum modulo 2^32).
  for (let i = 0; i < remaining; i++) {
    const addend = data.readUInt8(index + i) * 2 ** (8 * (i & 3));
    if (i < 4) a = (a + addend) | 0;
    else if (i < 8) b = (b + addend) | 0;
    else c = (c + addend) | 0;
  }
  // final(a, b, c)
  c ^= b;
  c = (c - rotate(b, 14)) | 0;
  a ^= c;
  a = (a - rotate(c, 11)) | 0;
  b ^= a;
  b = (b - rotate(a, 25)) | 0;
  c ^= b;
  c = (c - rotate(b, 16)) | 0;
  a ^= c;
  a = (a - rotate(c, 4)) | 0;
  b ^= a;
  b = (b - rotate(a, 14)) | 0;
  c ^= b;
  c = (c - rotate(b, 24)) | 0;
  return { b, c };
}
