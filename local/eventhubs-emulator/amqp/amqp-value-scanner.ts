/**
 * Finds where AMQP-encoded values end without decoding them, from the constructor byte alone: the
 * encoding's high nibble says how the width is given (AMQP 1.0 part 1, §1.6). This lets the broker
 * split a message into sections and keep their bytes untouched, at a fraction of a full decode's cost.
 */
export class AmqpScanError extends Error {}

function need(buffer: Buffer, end: number): void {
  if (end > buffer.length) throw new AmqpScanError('value runs past the end of the message');
}

/** Position just after the value that starts at `at` (a described value includes its descriptor). */
export function skipValue(buffer: Buffer, at: number): number {
  need(buffer, at + 1);
  const code = buffer.readUInt8(at);
  if (code === 0x00) return skipValue(buffer, skipValue(buffer, at + 1));
  let end: number;
  switch (code >> 4) {
    case 0x4:
      end = at + 1;
      break;
    case 0x5:
      end = at + 2;
      break;
    case 0x6:
      end = at + 3;
      break;
    case 0x7:
      end = at + 5;
      break;
    case 0x8:
      end = at + 9;
      break;
    case 0x9:
      end = at + 17;
      break;
    case 0xa:
    case 0xc:
    case 0xe:
      need(buffer, at + 2);
      end = at + 2 + buffer.readUInt8(at + 1);
      break;
    case 0xb:
    case 0xd:
    case 0xf:
      need(buffer, at + 5);
      end = at + 5 + buffer.readUInt32BE(at + 1);
      break;
    default:
      throw new AmqpScanError(`unknown AMQP type constructor 0x${code.toString(16)}`);
  }
  need(buffer, end);
  return end;
}

/** One message section: its descriptor code and byte range. */
export interface SectionBounds {
  code: number;
  start: number;
  end: number;
  /** Where the section's value (after the descriptor) starts. */
  valueAt: number;
}

/** Splits an encoded message into its sections (each a described value with a ulong descriptor). */
export function scanSections(buffer: Buffer): SectionBounds[] {
  const sections: SectionBounds[] = [];
  let at = 0;
  while (at < buffer.length) {
    if (buffer[at] !== 0x00) throw new AmqpScanError(`expected a described section at byte ${at}`);
    const descriptorAt = at + 1;
    need(buffer, descriptorAt + 1);
    let code: number;
    const type = buffer.readUInt8(descriptorAt);
    if (type === 0x53) {
      need(buffer, descriptorAt + 2);
      code = buffer.readUInt8(descriptorAt + 1);
    } else if (type === 0x80) {
      need(buffer, descriptorAt + 9);
      code = buffer.readUInt32BE(descriptorAt + 1) * 2 ** 32 + buffer.readUInt32BE(descriptorAt + 5);
    } else if (type === 0x44) {
      code = 0;
    } else {
      throw new AmqpScanError(`unsupported section descriptor 0x${type.toString(16)} at byte ${descriptorAt}`);
    }
    const valueAt = skipValue(buffer, descriptorAt);
    const end = skipValue(buffer, valueAt);
    sections.push({ code, start: at, end, valueAt });
    at = end;
  }
  return sections;
}

/** The bytes of a binary value (vbin8 / vbin32) at `at`. */
export function binaryAt(buffer: Buffer, at: number): Buffer {
  need(buffer, at + 1);
  const code = buffer.readUInt8(at);
  if (code === 0xa0) {
    need(buffer, at + 2);
    return buffer.subarray(at + 2, at + 2 + buffer.readUInt8(at + 1));
  }
  if (code === 0xb0) return buffer.subarray(at + 5, at + 5 + buffer.readUInt32BE(at + 1));
  throw new AmqpScanError(`expected binary data, found constructor 0x${code.toString(16)}`);
}
