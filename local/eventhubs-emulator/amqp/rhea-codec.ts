/**
 * rhea's AMQP type codec, with the members its typings leave out (Reader, Writer, Map32, Null) declared here
 * once, so the rest of the emulator stays free of casts.
 */
import rhea from 'rhea';

export type Typed = ReturnType<typeof rhea.types.wrap_string>;

export interface AmqpReader {
  position: number;
  read(): Typed;
  remaining(): number;
}

export interface AmqpWriter {
  write(value: Typed): void;
  toBuffer(): Buffer;
}

interface CodecExtras {
  Reader: new (buffer: Buffer) => AmqpReader;
  Writer: new () => AmqpWriter;
  Map32(items: Typed[]): Typed;
  Null(): Typed;
}

export const amqpTypes = rhea.types as typeof rhea.types & CodecExtras;
