/**
 * Whether a process id is still running: how tests check that what they started is gone.
 */

/**
 * True while process `pid` exists (signal 0 probes without signalling). A zombie not yet reaped by
 * its parent counts as alive; node reaps its children as soon as they exit.
 *
 * @example
 * await server.kill();
 * expect(isProcessAlive(pid)).toBe(false);
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
