import { Writable } from "node:stream";

/** A stream that keeps everything written to it, and passes each chunk on to `forward` when given. */
export interface RecordingStream extends Writable {
  text(): string;
}

export function recordingStream(forward?: Writable): RecordingStream {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    // Strings arrive as buffers (decodeStrings is on by default).
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      forward?.write(chunk);
      // Called at once, so that what a step wrote without waiting is recorded by the time the step returns.
      done();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString("utf8") });
}
