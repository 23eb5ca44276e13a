// Preloaded (`node --import`) into every child of the local stack (Azurite, the Event Hubs emulator,
// host processes): when the process that started the child is gone — killed with SIGKILL, say, which
// leaves it no chance to stop its children — the child stops itself. Plain JavaScript, so that
// Azurite loads it without a TypeScript loader. See docs/local-stack.md.
const expected = Number(process.env.ETL_EXIT_WITH_PARENT_PID);
const CHECK_EVERY_MS = 500;
const GRACE_MS = 10_000;

if (Number.isSafeInteger(expected) && expected > 0) {
  const watch = setInterval(() => {
    // An orphan is adopted by init or a subreaper, so its parent pid changes.
    if (process.ppid === expected) return;
    clearInterval(watch);
    process.stderr.write(`[${process.pid}] the local stack (pid ${expected}) is gone: stopping\n`);
    // SIGTERM runs the child's own clean shutdown; whatever is still alive after the grace goes anyway.
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  }, CHECK_EVERY_MS);
  watch.unref();
}
