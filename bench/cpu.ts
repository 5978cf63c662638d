import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads) another process has used, from
 * /proc/<pid>/stat; undefined where there is no /proc. The resolution is one
 * tick (10 ms), fine for workloads that run for seconds.
 */
export function processCpuMicros(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the numeric fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}

export function selfCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * CPU spent per operation by the daemon and by the bench's own client side
 * during a workload. With 2 cores, whichever side is near 1 s of CPU per second
 * of wall clock is the one that limits the throughput.
 */
export class CpuMeter {
  private readonly serverStart: number | undefined;
  private readonly clientStart = selfCpuMicros();

  constructor(private readonly serverPid: number | undefined) {
    this.serverStart = serverPid === undefined ? undefined : processCpuMicros(serverPid);
  }

  stop(ops: number): { serverCpuUsPerOp?: number; clientCpuUsPerOp: number } {
    const client = (selfCpuMicros() - this.clientStart) / ops;
    const end = this.serverPid === undefined ? undefined : processCpuMicros(this.serverPid);
    if (end === undefined || this.serverStart === undefined) return { clientCpuUsPerOp: client };
    return { serverCpuUsPerOp: (end - this.serverStart) / ops, clientCpuUsPerOp: client };
  }
}

/** Busy ticks of the whole machine (all CPUs, everything but idle and iowait), from /proc/stat. */
export function machineBusyTicks(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/** Ticks used by this process and by its children that have exited (daemons, redis-server, redis-benchmark). */
export function familyTicks(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // utime stime cutime cstime are fields 14-17 of stat, 11-14 after the command name.
  return (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
}

/**
 * How much CPU processes other than the bench's own used while it ran: the
 * figures are only comparable when this is small, so the report says it.
 */
export class InterferenceMeter {
  private readonly machineStart = machineBusyTicks();
  private readonly familyStart = familyTicks();
  private readonly wallStart = Date.now();

  /** Other processes' CPU as a share of one core, averaged over the run; undefined without /proc. */
  otherCoreShare(): number | undefined {
    const machine = machineBusyTicks();
    const family = familyTicks();
    if (machine === undefined || family === undefined) return undefined;
    if (this.machineStart === undefined || this.familyStart === undefined) return undefined;
    const other = machine - this.machineStart - (family - this.familyStart);
    const seconds = (Date.now() - this.wallStart) / 1000;
    return Math.max(0, other / TICKS_PER_SECOND / seconds);
  }
}

/**
 * Waits, up to `maxWaitMs`, for half a second in which other processes use
 * less than `threshold` of a core, so a pass does not start in the middle of
 * someone else's build. Returns how long it waited and the last load seen.
 */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.15): Promise<{ waitedMs: number; load: number }> {
  const began = Date.now();
  for (;;) {
    const meter = new InterferenceMeter();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const load = meter.otherCoreShare() ?? 0;
    const waitedMs = Date.now() - began;
    if (load < threshold || waitedMs >= maxWaitMs) return { waitedMs, load };
  }
}
