import type { Client } from '../../src/client/client.js';
import { errorMessage } from '../../src/protocol/errors.js';
import { PROVIDERS, type ProviderName, type Workspace } from '../../src/protocol/runtime-types.js';
import { onNode } from '../state/on-node.js';
import type { TabName } from '../tabs/names.js';
import { type FormState, valueOf } from './form-state.js';

/** How a submit ended: refused with a sentence, or done, with the tree row to select and a tab to show. */
export type Submitted = { error: string } | { select: string; show?: TabName };

/** A session in `workspace`, on its node (`node` when that is not this one). */
export function newSessionForm(workspace: Workspace, node: string | undefined): FormState {
  return {
    kind: 'new-session',
    title: `New session in ${workspace.path}${node === undefined ? '' : ` on ${node}`}`,
    fields: [
      { label: 'provider', value: 'codex', choices: PROVIDERS },
      { label: 'prompt', value: '' },
    ],
    active: 1,
    error: undefined,
    target: workspace.id,
    ...onNode(node),
  };
}

/** A session on another node with none of its workspaces selected: in a directory there, registered as a workspace. */
export function newSessionOnNodeForm(node: string): FormState {
  return {
    kind: 'new-session',
    title: `New session on ${node}`,
    fields: [
      { label: 'path', value: '' },
      { label: 'provider', value: 'codex', choices: PROVIDERS },
      { label: 'prompt', value: '' },
    ],
    active: 0,
    error: undefined,
    target: undefined,
    node,
  };
}

export function addWorkspaceForm(cwd: string): FormState {
  return {
    kind: 'add-workspace',
    title: 'Add a workspace',
    fields: [{ label: 'path', value: cwd }],
    active: 0,
    error: undefined,
    target: undefined,
  };
}

/** Does what the form asks of the daemon; a daemon's refusal comes back as its sentence. */
export async function submitForm(form: FormState, client: Client): Promise<Submitted> {
  try {
    return form.kind === 'new-session' ? await startSession(form, client) : await addWorkspace(form, client);
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

async function startSession(form: FormState, client: Client): Promise<Submitted> {
  const prompt = valueOf(form, 'prompt').trim();
  // A session without a first prompt would start idle, with nothing asked: refused here, saying so.
  if (prompt === '') return { error: 'Type a prompt first: it is what the session starts on.' };
  const workspace = form.target ?? valueOf(form, 'path').trim();
  if (workspace === '')
    return { error: form.node ? `Type the path of a directory on ${form.node}.` : 'Select a workspace first.' };
  const provider = PROVIDERS.find((name): name is ProviderName => name === valueOf(form, 'provider'));
  const { session } = await client.call('session_start', { workspace, provider, prompt, ...onNode(form.node) });
  return { select: session.id, show: 'events' };
}

async function addWorkspace(form: FormState, client: Client): Promise<Submitted> {
  const path = valueOf(form, 'path').trim();
  if (path === '') return { error: 'Type the path of a directory.' };
  const { workspace } = await client.call('workspace_add', { path });
  return { select: workspace.id };
}
