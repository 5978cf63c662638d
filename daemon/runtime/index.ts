import type { Database } from 'better-sqlite3';
import type { DaemonConfig } from '../config.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Store } from '../store/store.js';
import { EventLog } from './event-log.js';
import { CodexProvider, findCodexBinary, parseCodexArgs } from './providers/codex.js';
import { FakeProvider } from './providers/fake.js';
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

/** Builds the agent runtime on the daemon's database and registers the `session:` topics. */
export function createRuntime(
  db: Database,
  store: Store,
  config: DaemonConfig,
  log: Logger,
  subscriptions: Subscriptions,
  env: NodeJS.ProcessEnv,
): Runtime {
  const tables = new RuntimeStore(db);
  const events = new EventLog(db, store, log);
  const workspaces = new WorkspaceRegistry(tables, store, config.nodeName);
  const codex = new CodexProvider({
    binary: findCodexBinary(config.codexBin ?? env['CORTEX_CODEX_BIN'], env),
    extraArgs: [...config.codexArgs, ...parseCodexArgs(env['CORTEX_CODEX_ARGS'])],
    env,
    stop: { sigintMs: config.interruptGraceMs, sigtermMs: config.interruptGraceMs },
  });
  const sessions = new SessionManager(tables, store, events, workspaces, { codex, fake: new FakeProvider() }, log);
  sessions.recover();
  subscriptions.register(
    sessionTopics(
      events,
      (identity: Identity, session: string) => sessions.authorize(identity, session),
      subscriptions,
    ),
  );
  subscriptions.register(sessionsTopic(sessions, subscriptions));
  return { workspaces, sessions, events };
}
