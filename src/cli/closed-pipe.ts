// `kubectl netcheck doctor -o json | head -3`: when the reader goes away, writing to the pipe
// fails with EPIPE, which Node reports as an 'error' event (an uncaught exception, with a stack
// trace, when nobody listens). The reader has what it wanted: end quietly, as cat or kubectl do.
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      throw e;
    });
  }
}
