import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Authority } from '../access/authority.js';
import type { DaemonConfig } from '../config.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Store } from '../store/store.js';
import { EventLog } from './event-log.js';
import { CodexAppServerProvider } from './providers/app-server/app-server-provider.js';
import { type CodexSettings, findCodexBinary, parseCodexArgs } from './providers/codex-binary.js';
import { CodexExecProvider } from './providers/codex-exec.js';
import { FakeProvider } from './providers/fake.js';
import { ProcessGroups } from './providers/process-groups.js';
import { RuntimeStore } from './runtime-store.js';
import { SessionManager } from './session-manager.js';
import { sessionTopics } from './session-topics.js';
import { sessionsTopic } from './sessions-topic.js';
import { WorkspaceRegistry } from './workspace-registry.js';

export interface Runtime {
  workspaces: WorkspaceRegistry;
  sessions: SessionManager;
  events: EventLog;
}

/**
 * Builds the agent runtime on the daemon's database and registers the `session:`, `sessions:` and
 * `workspaces:` topics. First it stops
 * whatever provider processes a daemon killed before it left running (recorded under DATA/provider-groups).
 */
export async function createRuntime(
  db: Database,
  store: Store,
  config: DaemonConfig,
  log: Logger,
  subscriptions: Subscriptions,
  authority: Authority,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<Runtime> {
  const tables = new RuntimeStore(db);
  const events = new EventLog(db, store, log);
  const workspaces = new WorkspaceRegistry(tables, store, authority);
  const groups = new ProcessGroups(join(dataDir, 'provider-groups'), log);
  const swept = await groups.sweep();
  const codex: CodexSettings = {
    binary: findCodexBinary(config.codexBin ?? env['CORTEX_CODEX_BIN'], env),
    extraArgs: [...config.codexArgs, ...parseCodexArgs(env['CORTEX_CODEX_ARGS'])],
    env,
    stop: { sigintMs: config.interruptGraceMs, sigtermMs: config.interruptGraceMs },
    groups,
  };
  const providers = {
    codex: new CodexAppServerProvider({ ...codex, idleMs: config.codexIdleMs, log }),
    'codex-exec': new CodexExecProvider(codex),
    fake: new FakeProvider(groups, env),
  };
  const defaults = {
    approval: config.approvalPolicy,
    stallMs: config.turnStallMs,
    timeoutMs: config.turnTimeoutMs,
  };
  const sessions = new SessionManager(tables, store, events, workspaces, providers, defaults, authority, log);
  sessions.recover(swept);
  subscriptions.register(
    sessionTopics(
      events,
      (identity: Identity, session: string) => sessions.authorize(identity, session),
      subscriptions,
    ),
  );
  subscriptions.register(sessionsTopic(sessions, subscriptions, authority));
  subscriptions.register(workspaces.topic.family(subscriptions));
  return { workspaces, sessions, events };
}
