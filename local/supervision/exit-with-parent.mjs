// Preloaded (`node --import`) into every child of the local stack (Azurite, the Event Hubs emulator,
// host processes): when the process that started the child is gone — killed with SIGKILL, say, which
// leaves it no chance to stop its children — the child stops itself. Plain JavaScript, so that
// Azurite loads it without a TypeScript loader. See docs/local-stack.md.
const expected = Number(process.env.ETL_EXIT_WITH_PARENT_PID);
const CHECK_EVERY_MS = 500;
// Long enough for Azurite to save its data once the hosts' connections are gone (it saves on a clean stop only).
const GRACE_MS = 30_000;

/**
 * The child's stdout and stderr are pipes to the stack: once it is gone, a write fails with EPIPE,
 * which would end the child at once, before its clean stop (Azurite would lose what it had not saved).
 * Output goes nowhere from then on.
 */
function silence(stream) {
  stream.on('error', () => {});
  stream.write = (_chunk, encoding, callback) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  };
}

if (Number.isSafeInteger(expected) && expected > 0) {
  const watch = setInterval(() => {
    // An orphan is adopted by init or a subreaper, so its parent pid changes.
    if (process.ppid === expected) return;
    clearInterval(watch);
    silence(process.stdout);
    silence(process.stderr);
    // SIGTERM runs the child's own clean shutdown; a child still alive after the grace exits anyway.
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  }, CHECK_EVERY_MS);
  watch.unref();
}
