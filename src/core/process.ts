/**
 * Is a process with this id running on this host? `kill(pid, 0)` sends nothing and only checks
 * (kill(2)); EPERM means it runs, as another user. Used to tell a staging folder or a lock
 * left by a killed run from one that a live run still owns.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
