/** msgpack's `"token"` key: a fixstr header and its five bytes. */
const TOKEN_KEY = [0xa5, 0x74, 0x6f, 0x6b, 0x65, 0x6e];

/**
 * Where the first key of the msgpack map at the start of `packed` starts (after its header: fixmap, map16, map32); 0
 * when it is no map, or an empty one (whatever follows it is not the map's).
 */
function firstKeyAt(packed: Buffer): number {
  const first = packed[0];
  if ((first & 0xf0) === 0x80) return first === 0x80 ? 0 : 1;
  if (first === 0xde) return packed.length > 3 && packed.readUInt16BE(1) > 0 ? 3 : 0;
  return first === 0xdf && packed.length > 5 && packed.readUInt32BE(1) > 0 ? 5 : 0;
}

/**
 * The lock token in BullMQ's packed fetch options (msgpack: a map whose first key is `token`, a string), read where
 * BullMQ writes it; '' when the bytes are not laid out so, or the token is not printable ASCII (the fetch script
 * then unpacks them itself).
 */
export function packedToken(packed: unknown): string {
  if (!Buffer.isBuffer(packed) || packed.length < 2) return '';
  let at = firstKeyAt(packed);
  if (!at) return '';
  for (const byte of TOKEN_KEY) if (packed[at++] !== byte) return '';
  const header = packed[at];
  let length: number;
  if ((header & 0xe0) === 0xa0) [at, length] = [at + 1, header & 0x1f];
  else if (header === 0xd9 && at + 1 < packed.length) [at, length] = [at + 2, packed[at + 1]];
  else if (header === 0xda && at + 2 < packed.length) [at, length] = [at + 3, packed.readUInt16BE(at + 1)];
  else return '';
  if (length === 0 || at + length > packed.length) return '';
  // Printable ASCII only (BullMQ's tokens are a UUID and a counter): any other text is left to the script.
  for (let i = at; i < at + length; i++) if (packed[i] < 0x20 || packed[i] > 0x7e) return '';
  return packed.toString('latin1', at, at + length);
}
