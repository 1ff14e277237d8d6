import { readFile } from 'node:fs/promises';

/**
 * This process's peak RSS in MB. On Linux, VmHWM: getrusage's maxRSS survives execve, so a
 * child spawned by a big parent would report the parent's RSS at fork time.
 */
export async function peakRssMb(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (match?.[1]) return Number(match[1]) / 1024;
  } catch {
    // Not Linux.
  }
  return process.resourceUsage().maxRSS / 1024;
}
