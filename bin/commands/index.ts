import type { Command } from '../context.js';
import { aclCommand, tokenCommand } from './access.js';
import { exportCommand, importCommand } from './backup.js';
import { bridgeCommand } from './bridge.js';
import { caCommand } from './ca.js';
import { clusterCommand, meshCommand, queryMeshCommand } from './cluster.js';
import { daemonCommand } from './daemon.js';
import { projectCommand, workspaceCommand } from './projects.js';
import { sessionCommand } from './session.js';
import { tuiCommand } from './tui.js';
import { checkCommand, diffCommand, fsCommand, revertCommand, worktreeCommand } from './files.js';
import { termCommand } from './term.js';
import { allCommand, deleteCommand, getCommand, putCommand, queryCommand } from './records.js';
import { pingCommand, statusCommand } from './status.js';
import { createTableCommand, dropTableCommand, tablesCommand } from './tables.js';

/** Every subcommand, in the order `cortex help` lists them. */
export const commands: readonly Command[] = [
  daemonCommand,
  tuiCommand,
  statusCommand,
  pingCommand,
  tablesCommand,
  createTableCommand,
  dropTableCommand,
  putCommand,
  getCommand,
  deleteCommand,
  queryCommand,
  allCommand,
  queryMeshCommand,
  clusterCommand,
  meshCommand,
  exportCommand,
  importCommand,
  sessionCommand,
  projectCommand,
  workspaceCommand,
  fsCommand,
  diffCommand,
  revertCommand,
  checkCommand,
  worktreeCommand,
  termCommand,
  aclCommand,
  tokenCommand,
  caCommand,
  bridgeCommand,
];
