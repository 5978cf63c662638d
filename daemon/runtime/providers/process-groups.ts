import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpawnOptions } from 'node:child_process';
import type { SystemUser } from '../../identity/system-user.js';
import type { Logger } from '../../logger.js';
import { type GroupChild, spawnGroup, stopGroup, type StopTimeouts } from './process-group.js';
import { allProcesses, bootId, hasEnvironment, processEntry, type ProcessEntry } from './process-table.js';

/**
 * Every process a provider starts carries this variable, so its descendants can be found even when they
 * left its process group (Codex runs commands in sessions of their own).
 */
export const GROUP_MARKER = 'CORTEX_PROCESS_GROUP';

/** What is written down for a process group while it runs. */
interface GroupRecord {
  token: string;
  pgid: number;
  start: number;
  boot: string;
  session: string;
}

export interface RecordedGroup extends GroupChild {
  token: string;
  session: string;
}

/** What a sweep after a restart found and stopped. */
export interface SweptGroup {
  session: string;
  pgid: number;
  killed: number;
}

const SWEEP_WAIT_MS = 5000;

/**
 * The process groups of providers (Codex app-servers, codex exec, the fake's commands), each written down in
 * the data directory while it runs. A daemon killed with `kill -9` cannot stop them; the next one reads the
 * records and kills what its predecessor left (`sweep`), so no orphan holds a Codex thread. A record names
 * the leader's start time and the boot, so a pid reused since is never signalled.
 */
export class ProcessGroups {
  constructor(
    private readonly directory: string,
    private readonly log: Logger,
  ) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  /** Starts a process leading its own group (as `runAs`, see spawnGroup), recorded until it exits. */
  spawn(
    command: string,
    args: readonly string[],
    options: SpawnOptions & { env: NodeJS.ProcessEnv },
    session: string,
    runAs: SystemUser | undefined,
  ): RecordedGroup {
    const token = randomBytes(8).toString('hex');
    const group = spawnGroup(command, args, { ...options, env: { ...options.env, [GROUP_MARKER]: token } }, runAs);
    const pid = group.child.pid;
    if (pid !== undefined) {
      const entry = processEntry(pid);
      this.write({ token, pgid: pid, start: entry?.start ?? 0, boot: bootId(), session });
      void group.exited.then(() => this.forget(token));
    }
    return { ...group, token, session };
  }

  /**
   * Stops a group as a person at a terminal would (SIGINT, SIGTERM, SIGKILL), then kills what it started
   * outside the group.
   */
  async stop(group: RecordedGroup, timeouts: StopTimeouts): Promise<void> {
    await stopGroup(group, timeouts);
    await killAll(escapees(group.token), this.log);
  }

  /** After a restart: kills every recorded group (and what left it) that is still running; forgets them all. */
  async sweep(): Promise<SweptGroup[]> {
    const records = this.records();
    if (records.length === 0) return [];
    const boot = bootId();
    const table = allProcesses();
    const swept: SweptGroup[] = [];
    for (const record of records) {
      const victims = record.boot === boot ? leftovers(record, table) : [];
      if (victims.length > 0) {
        this.log.warn(
          `session ${record.session}: stopping ${victims.length} process(es) of group ${record.pgid} left by the previous daemon`,
        );
        await killAll(victims, this.log);
        swept.push({ session: record.session, pgid: record.pgid, killed: victims.length });
      }
      this.forget(record.token);
    }
    return swept;
  }

  private records(): GroupRecord[] {
    const records: GroupRecord[] = [];
    for (const name of readdirSync(this.directory)) {
      if (!name.endsWith('.json')) continue;
      try {
        records.push(JSON.parse(readFileSync(join(this.directory, name), 'utf8')) as GroupRecord);
      } catch (error) {
        this.log.warn(`ignoring the unreadable process group record ${name}: ${String(error)}`);
        rmSync(join(this.directory, name), { force: true });
      }
    }
    return records;
  }

  private write(record: GroupRecord): void {
    writeFileSync(join(this.directory, `${record.token}.json`), JSON.stringify(record), { mode: 0o600 });
  }

  private forget(token: string): void {
    rmSync(join(this.directory, `${token}.json`), { force: true });
  }
}

/**
 * The processes of a recorded group still alive: its members (unless the leader's pid now belongs to a
 * process that started later: then the group is another one) and every process carrying its marker.
 */
function leftovers(record: GroupRecord, table: ProcessEntry[]): number[] {
  const leader = table.find((entry) => entry.pid === record.pgid);
  const sameGroup = leader === undefined || leader.start === record.start;
  const pids = new Set<number>();
  for (const entry of table) {
    if (entry.zombie) continue;
    if (sameGroup && entry.pgid === record.pgid) pids.add(entry.pid);
    else if (hasEnvironment(entry.pid, `${GROUP_MARKER}=${record.token}`)) pids.add(entry.pid);
  }
  return [...pids];
}

/** Live processes carrying a group's marker (its descendants that left the group). */
function escapees(token: string): number[] {
  return allProcesses()
    .filter((entry) => !entry.zombie && hasEnvironment(entry.pid, `${GROUP_MARKER}=${token}`))
    .map((entry) => entry.pid);
}

/** SIGKILL, then waits (bounded) until each is gone or a zombie. */
async function killAll(pids: number[], log: Logger): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + SWEEP_WAIT_MS;
  let alive = pids;
  while (alive.length > 0 && Date.now() < deadline) {
    // A bounded poll: nothing tells this process when another's orphan has died.
    await new Promise((resolve) => setTimeout(resolve, 20));
    alive = alive.filter((pid) => {
      const entry = processEntry(pid);
      return entry !== undefined && !entry.zombie;
    });
  }
  if (alive.length > 0) log.error(`processes ${alive.join(', ')} did not die after SIGKILL`);
}
