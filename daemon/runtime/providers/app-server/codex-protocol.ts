/**
 * The part of the Codex app-server protocol Cortex speaks, typed from the bindings the pinned Codex
 * generates (`generated/`, written by scripts/codex-protocol.mjs from the imports below; never edited by
 * hand). JSON-RPC 2.0 without the "jsonrpc" member, one JSON object per line over stdio.
 */
import type { InitializeParams } from './generated/InitializeParams.js';
import type { InitializeResponse } from './generated/InitializeResponse.js';
import type { RequestId } from './generated/RequestId.js';
import type { AgentMessageDeltaNotification } from './generated/v2/AgentMessageDeltaNotification.js';
import type { CommandExecutionOutputDeltaNotification } from './generated/v2/CommandExecutionOutputDeltaNotification.js';
import type { CommandExecutionRequestApprovalParams } from './generated/v2/CommandExecutionRequestApprovalParams.js';
import type { CommandExecutionRequestApprovalResponse } from './generated/v2/CommandExecutionRequestApprovalResponse.js';
import type { ErrorNotification } from './generated/v2/ErrorNotification.js';
import type { FileChangeRequestApprovalParams } from './generated/v2/FileChangeRequestApprovalParams.js';
import type { FileChangeRequestApprovalResponse } from './generated/v2/FileChangeRequestApprovalResponse.js';
import type { ItemCompletedNotification } from './generated/v2/ItemCompletedNotification.js';
import type { ItemStartedNotification } from './generated/v2/ItemStartedNotification.js';
import type { ServerRequestResolvedNotification } from './generated/v2/ServerRequestResolvedNotification.js';
import type { ThreadBackgroundTerminalsCleanParams } from './generated/v2/ThreadBackgroundTerminalsCleanParams.js';
import type { ThreadBackgroundTerminalsCleanResponse } from './generated/v2/ThreadBackgroundTerminalsCleanResponse.js';
import type { ThreadItem } from './generated/v2/ThreadItem.js';
import type { ThreadResumeParams } from './generated/v2/ThreadResumeParams.js';
import type { ThreadResumeResponse } from './generated/v2/ThreadResumeResponse.js';
import type { ThreadStartParams } from './generated/v2/ThreadStartParams.js';
import type { ThreadStartResponse } from './generated/v2/ThreadStartResponse.js';
import type { ThreadTokenUsageUpdatedNotification } from './generated/v2/ThreadTokenUsageUpdatedNotification.js';
import type { TurnCompletedNotification } from './generated/v2/TurnCompletedNotification.js';
import type { TurnInterruptParams } from './generated/v2/TurnInterruptParams.js';
import type { TurnInterruptResponse } from './generated/v2/TurnInterruptResponse.js';
import type { TurnPlanUpdatedNotification } from './generated/v2/TurnPlanUpdatedNotification.js';
import type { TurnStartedNotification } from './generated/v2/TurnStartedNotification.js';
import type { TurnStartParams } from './generated/v2/TurnStartParams.js';
import type { TurnStartResponse } from './generated/v2/TurnStartResponse.js';
import type { TurnSteerParams } from './generated/v2/TurnSteerParams.js';
import type { TurnSteerResponse } from './generated/v2/TurnSteerResponse.js';
import type { WarningNotification } from './generated/v2/WarningNotification.js';

export type { FileUpdateChange } from './generated/v2/FileUpdateChange.js';
export type { ThreadItem, RequestId };
export type { TokenUsageBreakdown } from './generated/v2/TokenUsageBreakdown.js';
export type { TurnError } from './generated/v2/TurnError.js';

/** Requests Cortex sends: method → [params, result]. */
export interface ClientRequests {
  initialize: [InitializeParams, InitializeResponse];
  'thread/start': [ThreadStartParams, ThreadStartResponse];
  'thread/resume': [ThreadResumeParams, ThreadResumeResponse];
  'turn/start': [TurnStartParams, TurnStartResponse];
  'turn/steer': [TurnSteerParams, TurnSteerResponse];
  'turn/interrupt': [TurnInterruptParams, TurnInterruptResponse];
  /** Experimental: stops the commands a turn left running (an interrupted turn's command goes on otherwise). */
  'thread/backgroundTerminals/clean': [ThreadBackgroundTerminalsCleanParams, ThreadBackgroundTerminalsCleanResponse];
}
export type ClientMethod = keyof ClientRequests;

/** Notifications Cortex acts on: method → params. Others are ignored. */
export interface ServerNotifications {
  'turn/started': TurnStartedNotification;
  'turn/completed': TurnCompletedNotification;
  'item/started': ItemStartedNotification;
  'item/completed': ItemCompletedNotification;
  'item/agentMessage/delta': AgentMessageDeltaNotification;
  'item/commandExecution/outputDelta': CommandExecutionOutputDeltaNotification;
  'thread/tokenUsage/updated': ThreadTokenUsageUpdatedNotification;
  'turn/plan/updated': TurnPlanUpdatedNotification;
  'serverRequest/resolved': ServerRequestResolvedNotification;
  error: ErrorNotification;
  warning: WarningNotification;
}
export type ServerNotification = {
  [M in keyof ServerNotifications]: { method: M; params: ServerNotifications[M] };
}[keyof ServerNotifications];

/** Requests Codex sends Cortex: method → [params, result]. Others are refused. */
export interface ServerRequests {
  'item/commandExecution/requestApproval': [
    CommandExecutionRequestApprovalParams,
    CommandExecutionRequestApprovalResponse,
  ];
  'item/fileChange/requestApproval': [FileChangeRequestApprovalParams, FileChangeRequestApprovalResponse];
}
export type ServerRequest = {
  [M in keyof ServerRequests]: { id: RequestId; method: M; params: ServerRequests[M][0] };
}[keyof ServerRequests];
export type ServerRequestResult<M extends keyof ServerRequests> = ServerRequests[M][1];

export const KNOWN_NOTIFICATIONS: ReadonlySet<string> = new Set<keyof ServerNotifications>([
  'turn/started',
  'turn/completed',
  'item/started',
  'item/completed',
  'item/agentMessage/delta',
  'item/commandExecution/outputDelta',
  'thread/tokenUsage/updated',
  'turn/plan/updated',
  'serverRequest/resolved',
  'error',
  'warning',
]);

export const KNOWN_REQUESTS: ReadonlySet<string> = new Set<keyof ServerRequests>([
  'item/commandExecution/requestApproval',
  'item/fileChange/requestApproval',
]);
